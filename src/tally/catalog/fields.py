"""Reading untyped mappings (YAML, JSON) into typed values, naming the exact place on error.

Paths look like `price_books[0].versions[1].prices.instance_hours.tiers[2].up_to`. Floats are
refused everywhere (the YAML reader turns unquoted decimals into exact `Decimal`s). No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from tally.catalog.errors import CatalogInvalid
from tally.errors import InvalidInput
from tally.money import parse_decimal
from tally.period import parse_instant, require_utc

UNIT_PRICE_PLACES_MAX = 12


def at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def mapping(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise CatalogInvalid(path or "document", f"must be a mapping, got {type(value).__name__}")
    return value


def sequence(value: object, path: str) -> Sequence[Any]:
    if value is None:
        return ()
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise CatalogInvalid(path, f"must be a list, got {type(value).__name__}")
    return value


def known_keys(data: Mapping[str, Any], path: str, allowed: frozenset[str]) -> None:
    for key in data:
        if key not in allowed:
            raise CatalogInvalid(at(path, str(key)), f"unknown key; expected one of {', '.join(sorted(allowed))}")


def text(data: Mapping[str, Any], key: str, path: str, *, required: bool = True, default: str | None = None) -> str:
    value = data.get(key)
    if value is None:
        if required and default is None:
            raise CatalogInvalid(at(path, key), "is required")
        return default or ""
    if not isinstance(value, str) or not value.strip():
        raise CatalogInvalid(at(path, key), f"must be a non-empty string, got {value!r}")
    return value.strip()


def optional_text(data: Mapping[str, Any], key: str, path: str) -> str | None:
    if data.get(key) is None:
        return None
    return text(data, key, path)


def decimal(value: object, path: str, *, negative_ok: bool = False, places_max: int | None = None) -> Decimal:
    if isinstance(value, bool):
        raise CatalogInvalid(path, f"must be a decimal, got {value!r}")
    try:
        parsed = parse_decimal(value, field=path)  # type: ignore[arg-type]
    except InvalidInput as exc:
        raise CatalogInvalid(path, exc.reason) from None
    if not negative_ok and parsed < 0:
        raise CatalogInvalid(path, f"must not be negative, got {value}")
    if places_max is not None:
        exponent = parsed.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places_max:
            raise CatalogInvalid(path, f"has more than {places_max} decimal places: {value}")
    return parsed


def optional_decimal(data: Mapping[str, Any], key: str, path: str, **kwargs: Any) -> Decimal | None:
    value = data.get(key)
    return None if value is None else decimal(value, at(path, key), **kwargs)


def instant(value: object, path: str) -> datetime:
    if isinstance(value, datetime):
        try:
            return require_utc(value, field=path)
        except InvalidInput as exc:
            raise CatalogInvalid(path, exc.reason) from None
    if not isinstance(value, str):
        raise CatalogInvalid(path, f"must be an RFC 3339 timestamp, got {value!r}")
    try:
        return parse_instant(value, field=path)
    except InvalidInput as exc:
        raise CatalogInvalid(path, exc.reason) from None


def optional_instant(data: Mapping[str, Any], key: str, path: str) -> datetime | None:
    value = data.get(key)
    return None if value is None else instant(value, at(path, key))
