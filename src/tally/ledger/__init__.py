"""The ledger stage (see README.md beside this file)."""
