"""Records of the ingest stage: frozen dataclasses, no I/O."""

from __future__ import annotations
