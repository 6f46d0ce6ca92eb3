"""Audit trail: who changed what, when, with the before and after. Append-only."""
