"""The rating stage (see README.md beside this file)."""
