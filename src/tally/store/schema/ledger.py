"""Tables owned by the ledger stage."""

from __future__ import annotations
