"""The catalog stage (see README.md beside this file)."""
