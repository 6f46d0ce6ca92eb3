"""The ingest stage (see README.md beside this file)."""
