"""Data exchange with other tracing systems: PFIF 1.4 and bulk files, with one error report."""
