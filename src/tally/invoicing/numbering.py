"""Document numbers: one gapless sequence per series (legal entity, document type, year).

Pure: the store hands out the next sequence value under a row lock in the issuing transaction;
this module only names series and formats numbers. Never reads the clock.
"""

from __future__ import annotations

import re
from datetime import datetime

from tally.errors import InvalidInput
from tally.invoicing.model import DocumentKind

_PREFIX = re.compile(r"^[A-Z0-9]{1,12}$")
_DIGITS = 6


def series_for(entity_prefix: str, kind: DocumentKind, issued_at: datetime) -> str:
    """`TLY-2026` for invoices, `TLY-CN-2026` for credit notes of legal entity `TLY`."""
    if not _PREFIX.match(entity_prefix):
        raise InvalidInput("seller.number_prefix", f"must be 1-12 capital letters or digits, got {entity_prefix!r}")
    middle = "-CN" if kind is DocumentKind.CREDIT_NOTE else ""
    return f"{entity_prefix}{middle}-{issued_at.year:04d}"


def format_number(series: str, sequence: int) -> str:
    """`TLY-2026-000123`. Sequences start at 1; wider numbers keep every digit."""
    if sequence < 1:
        raise InvalidInput("sequence", f"must be at least 1, got {sequence}")
    return f"{series}-{sequence:0{_DIGITS}d}"


def sequence_of(number: str) -> int:
    """The sequence value inside a formatted number."""
    head, _, tail = number.rpartition("-")
    if not head or not tail.isdigit():
        raise InvalidInput("number", f"is not a document number: {number!r}")
    return int(tail)
