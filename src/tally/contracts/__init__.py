"""The contracts stage (see README.md beside this file)."""
