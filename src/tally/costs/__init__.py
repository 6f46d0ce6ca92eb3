"""The costs stage (see README.md beside this file)."""
