"""kinlink: tracing people missing in armed conflict."""

__version__ = "0.1.0"
