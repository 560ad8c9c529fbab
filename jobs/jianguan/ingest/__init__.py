"""Ingestion: landed files → validated bronze Delta tables and quarantine, every row accounted for."""
