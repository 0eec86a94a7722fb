"""Running the service: backups and restores (``attendance backup`` / ``attendance restore``)."""
