"""Tables owned by the invoicing stage."""

from __future__ import annotations
