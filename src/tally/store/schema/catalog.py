"""Tables owned by the catalog stage."""

from __future__ import annotations
