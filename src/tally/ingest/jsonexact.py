"""Exact JSON for payloads: every JSON number becomes a Decimal, never a binary float."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

_DECODER = msgspec.json.Decoder(float_hook=Decimal)
_ENCODER = msgspec.json.Encoder(decimal_format="number")


def loads_exact(text: str | bytes) -> Any:
    """Parse JSON; integers stay int, every other number is an exact Decimal."""
    return _DECODER.decode(text)


def dumps_exact(value: Any) -> str:
    """Write JSON with Decimals as JSON numbers, digit for digit."""
    return _ENCODER.encode(value).decode()
