"""Tables owned by the metering stage."""

from __future__ import annotations
