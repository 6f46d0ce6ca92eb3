"""Records of the costs stage: frozen dataclasses, no I/O."""

from __future__ import annotations
