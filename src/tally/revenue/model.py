"""Records of the revenue stage: frozen dataclasses, no I/O."""

from __future__ import annotations
