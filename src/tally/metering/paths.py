"""JSONPaths into event payloads (`$.a.b`, a plain `a` means `$.a`) and exact values read from them.

Pure. A value is a JSON number (already a Decimal/int from `loads_exact`) or a numeric string, read
exactly from its text; anything else is a reason, never a silent zero.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

_SEGMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_MISSING = object()


def parse_path(path: str) -> tuple[str, ...]:
    """`$.a.b` → ('a', 'b'). Raises ValueError with the reason (callers name the field)."""
    text = path.strip()
    if text.startswith("$."):
        text = text[2:]
    elif text.startswith("$"):
        raise ValueError(f"must be a JSONPath like $.name or $.a.b, got {path!r}")
    parts = tuple(text.split("."))
    if not text or not all(_SEGMENT.match(p) for p in parts):
        raise ValueError(f"must be a JSONPath like $.name or $.a.b, got {path!r}")
    return parts


def extract(data: Any, parts: tuple[str, ...]) -> Any:
    """The value at `parts`, or `MISSING`."""
    value = data
    for part in parts:
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def is_missing(value: Any) -> bool:
    return value is _MISSING


def number_of(value: Any) -> Decimal | str:
    """The exact Decimal of a JSON number or numeric string, or the reason it is not one."""
    if value is _MISSING or value is None:
        return "value is missing"
    if isinstance(value, bool):
        return f"value is not a number: {str(value).lower()}"
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip()) if value.strip() == value and value else Decimal("nan")
        except InvalidOperation:
            return f"value is not a number: {value[:60]!r}"
    else:
        return f"value is not a number: {type(value).__name__}"
    if not number.is_finite():
        return f"value is not a finite number: {str(value)[:60]!r}"
    return number


def text_of(value: Any) -> str | None:
    """A scalar payload value as text for group values and filters (numbers keep their digits)."""
    if value is _MISSING or value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, int | str):
        return str(value)
    return None
