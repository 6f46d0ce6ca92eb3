"""Records of the catalog stage: frozen dataclasses, no I/O."""

from __future__ import annotations
