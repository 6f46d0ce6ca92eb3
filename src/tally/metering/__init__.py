"""The metering stage (see README.md beside this file)."""
