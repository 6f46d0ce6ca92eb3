"""Tally: usage metering, billing and revenue with exact money and auditable records."""

__version__ = "0.1.0"
