"""Records of the rating stage: frozen dataclasses, no I/O."""

from __future__ import annotations
