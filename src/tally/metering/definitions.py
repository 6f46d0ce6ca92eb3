"""Parse meter definitions (OpenMeter's shape, plus an optional equality `filter`) from YAML/JSON.

Pure. Every error names `meters[i].field` and the reason. Never touches storage.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from tally.metering.errors import MeterInvalid
from tally.metering.model import Aggregation, MeterDefinition
from tally.metering.paths import parse_path

SLUG = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
_GROUP_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_KNOWN = frozenset({"slug", "name", "description", "eventType", "aggregation", "valueProperty", "groupBy",
                    "filter"})
# OpenMeter fields a client may send back; accepted and ignored (read-only or not used by Tally).
_IGNORED = frozenset({"id", "createdAt", "updatedAt", "deletedAt", "metadata", "annotations", "windowSize",
                      "eventFrom"})
SLUG_CHARS_MAX = 64
NAME_CHARS_MAX = 256
DESCRIPTION_CHARS_MAX = 1024


def _text(raw: Mapping[str, Any], key: str, where: str, *, required: bool, limit: int) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise MeterInvalid(f"{where}.{key}", "is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise MeterInvalid(f"{where}.{key}", f"must be a non-empty string, got {value!r}")
    if len(value) > limit:
        raise MeterInvalid(f"{where}.{key}", f"is {len(value)} characters; the limit is {limit}")
    return value


def _path(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise MeterInvalid(field, f"must be a JSONPath string like $.name, got {value!r}")
    try:
        parse_path(value)
    except ValueError as exc:
        raise MeterInvalid(field, str(exc)) from None
    return value.strip()


def parse_meter(raw: Mapping[str, Any], where: str = "meter") -> MeterDefinition:
    """One definition; `where` prefixes every error's field (e.g. `meters[2]`)."""
    if not isinstance(raw, Mapping):
        raise MeterInvalid(where, f"must be a mapping, got {type(raw).__name__}")
    for key in raw:
        if key not in _KNOWN and key not in _IGNORED:
            raise MeterInvalid(f"{where}.{key}", f"is not a meter field (known: {', '.join(sorted(_KNOWN))})")
    slug = _text(raw, "slug", where, required=True, limit=SLUG_CHARS_MAX) or ""
    if not SLUG.match(slug):
        raise MeterInvalid(f"{where}.slug", f"must be lowercase letters, digits and single underscores "
                           f"(^[a-z0-9]+(?:_[a-z0-9]+)*$), got {slug!r}")
    name = _text(raw, "name", where, required=False, limit=NAME_CHARS_MAX) or slug
    description = raw.get("description") or ""
    if not isinstance(description, str) or len(description) > DESCRIPTION_CHARS_MAX:
        raise MeterInvalid(f"{where}.description", f"must be a string of at most {DESCRIPTION_CHARS_MAX} characters")
    event_type = _text(raw, "eventType", where, required=True, limit=255) or ""
    aggregation_raw = raw.get("aggregation")
    if aggregation_raw is None:
        raise MeterInvalid(f"{where}.aggregation", "is required")
    try:
        aggregation = Aggregation(str(aggregation_raw).upper())
    except ValueError:
        raise MeterInvalid(f"{where}.aggregation", f"must be one of {', '.join(a.value for a in Aggregation)}, "
                           f"got {aggregation_raw!r}") from None
    value_property: str | None = None
    if aggregation is Aggregation.COUNT:
        # OpenMeter ignores valueProperty for COUNT; so do we (but it must still be a path if given).
        if raw.get("valueProperty") is not None:
            _path(raw["valueProperty"], f"{where}.valueProperty")
    else:
        if raw.get("valueProperty") is None:
            raise MeterInvalid(f"{where}.valueProperty", f"is required for {aggregation.value}")
        value_property = _path(raw["valueProperty"], f"{where}.valueProperty")
    group_by_raw = raw.get("groupBy") or {}
    if not isinstance(group_by_raw, Mapping):
        raise MeterInvalid(f"{where}.groupBy", "must be a mapping of name to JSONPath")
    group_by: list[tuple[str, str]] = []
    for name_, path in group_by_raw.items():
        if not isinstance(name_, str) or not _GROUP_NAME.match(name_) or name_ == "subject":
            raise MeterInvalid(f"{where}.groupBy.{name_}", "names are letters, digits and underscores; "
                               "`subject` is reserved")
        group_by.append((name_, _path(path, f"{where}.groupBy.{name_}")))
    filter_raw = raw.get("filter") or {}
    if not isinstance(filter_raw, Mapping):
        raise MeterInvalid(f"{where}.filter", "must be a mapping of payload field to expected value")
    filters: list[tuple[str, str]] = []
    for field, expected in filter_raw.items():
        _path(field, f"{where}.filter.{field}")
        if isinstance(expected, bool) or not isinstance(expected, str | int | Decimal):
            raise MeterInvalid(f"{where}.filter.{field}", f"must be a string or number, got {expected!r}")
        filters.append((str(field), str(expected)))
    return MeterDefinition(slug=slug, name=name, description=description, event_type=event_type,
                           aggregation=aggregation, value_property=value_property,
                           group_by=tuple(sorted(group_by)), filter=tuple(sorted(filters)))


def parse_meters(meters: Sequence[Mapping[str, Any]]) -> tuple[MeterDefinition, ...]:
    """The `meters:` section of a catalog file (or a `tally meters apply` file): each slug once."""
    if isinstance(meters, str | bytes) or not isinstance(meters, Sequence):
        raise MeterInvalid("meters", "must be a list of meter definitions")
    out: list[MeterDefinition] = []
    seen: set[str] = set()
    for i, raw in enumerate(meters):
        definition = parse_meter(raw, f"meters[{i}]")
        if definition.slug in seen:
            raise MeterInvalid(f"meters[{i}].slug", f"meter {definition.slug!r} is defined twice")
        seen.add(definition.slug)
        out.append(definition)
    return tuple(out)
