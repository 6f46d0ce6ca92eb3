"""Canonical JSON for audit before/after images and digests: sorted keys, exact decimals.

Decimals are written as strings so that no reader turns them into floats. Never reads the clock.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import orjson

_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # a dataclass type → its field names: digests write many lines


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    names = _FIELD_NAMES.get(type(value))
    if names is not None:
        return {name: getattr(value, name) for name in names}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES[type(value)] = tuple(f.name for f in dataclasses.fields(value))
        return {name: getattr(value, name) for name in names}
    if isinstance(value, frozenset | set):
        return sorted(value, key=str)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return str(value)


def canonical_json(value: Any) -> str:
    """Deterministic JSON text: the same value always gives the same bytes."""
    return orjson.dumps(value, default=_default, option=orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS
                        | orjson.OPT_PASSTHROUGH_DATETIME).decode()


def digest(value: Any) -> str:
    """SHA-256 of the canonical JSON of `value`, hex."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()
