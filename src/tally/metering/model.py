"""Records of the metering stage: frozen dataclasses, no I/O."""

from __future__ import annotations
