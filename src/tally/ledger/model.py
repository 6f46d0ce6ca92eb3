"""Records of the ledger stage: frozen dataclasses, no I/O."""

from __future__ import annotations
