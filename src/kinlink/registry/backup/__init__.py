"""Backups of an instance (database and stored files, encrypted) and their restore."""
