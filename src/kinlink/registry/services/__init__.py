"""Service functions: the only way views, the API and the CLI change or read the registry."""
