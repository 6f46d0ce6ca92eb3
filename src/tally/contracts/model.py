"""Records of the contracts stage: frozen dataclasses, no I/O."""

from __future__ import annotations
