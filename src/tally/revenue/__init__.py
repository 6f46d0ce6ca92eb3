"""The revenue stage (see README.md beside this file)."""
