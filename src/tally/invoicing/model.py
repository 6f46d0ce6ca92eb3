"""Records of the invoicing stage: frozen dataclasses, no I/O."""

from __future__ import annotations
