"""The invoicing stage (see README.md beside this file)."""
