"""CloudEvents 1.0 parsing and validation, in bulk, with a precise reason for every refused item.

Pure: items (raw JSON bytes of one event each) and the limits come in; valid events and rejections
go out. Never reads the clock or the database. The payload (`data`) is kept as the exact JSON text
received — its numbers never pass through a binary float.

The fast path decodes each item with msgspec into a typed Struct; only an item that fails it is
decoded a second time, loosely, to say exactly which attribute is wrong and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, NamedTuple

import msgspec

from tally.ingest.model import Rejection

SPEC_VERSION = "1.0"
REQUIRED = ("specversion", "id", "source", "type", "subject")
TEXT_CHARS_MAX = 255  # the width of the id, source, type and subject columns
EVENT = "event"  # the field named when the item as a whole is wrong


class _Envelope(msgspec.Struct):
    """The CloudEvents attributes Tally reads; extension attributes are ignored."""

    specversion: str
    id: str
    source: str
    type: str
    subject: str
    time: Annotated[datetime, msgspec.Meta(tz=True)] | None = None
    data: msgspec.Raw = msgspec.Raw()


class _Loose(msgspec.Struct):
    """The same attributes, untyped: only used to explain why an item failed the typed decode."""

    specversion: Any = msgspec.UNSET
    id: Any = msgspec.UNSET
    source: Any = msgspec.UNSET
    type: Any = msgspec.UNSET
    subject: Any = msgspec.UNSET
    time: Any = msgspec.UNSET
    data: msgspec.Raw = msgspec.Raw()


_DECODER = msgspec.json.Decoder(_Envelope)
_LOOSE = msgspec.json.Decoder(_Loose)
_EMPTY_DATA = "{}"


class ValidEvent(NamedTuple):
    """An event that passed validation; `event_time` is UTC; `data_json` the exact payload text.

    A NamedTuple, not a dataclass: a million of these are built per import, and a tuple is built
    several times faster than a frozen dataclass. Immutable all the same.
    """

    position: int  # the item's index or line number (named so as not to shadow tuple.index)
    source: str
    event_id: str
    event_type: str
    subject: str
    event_time: datetime
    data_json: str
    raw: bytes


def new_valid(fields: tuple[int, str, str, str, str, datetime, str, bytes]) -> ValidEvent:
    """Build a ValidEvent from a tuple without the NamedTuple's Python-level __new__ (hot path)."""
    return tuple.__new__(ValidEvent, fields)


@dataclass(frozen=True, slots=True)
class RejectedItem:
    """A refused item with its raw bytes, for the quarantine."""

    rejection: Rejection
    raw: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """What an event may be. `now` stands in for a missing `time` (as OpenMeter does)."""

    now: datetime
    future_tolerance: timedelta
    event_bytes_max: int
    known_types: frozenset[str] | None = None  # None: any type (the catalog is not strict)


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):  # float-ok: only named in an error message
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def parse_time(text: str) -> datetime:
    """Parse an RFC 3339 timestamp to UTC; raises ValueError with the reason."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"is not an RFC 3339 timestamp: {text[:64]!r}") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"must carry a timezone (Z or ±hh:mm): {text[:64]!r}")
    return value.astimezone(UTC)


def _explain(index: int, raw: bytes) -> Rejection | _Envelope:
    """Why an item failed the typed decode — or, when only a detail failed (a time with a
    non-UTC offset msgspec refused), the envelope rebuilt by hand."""
    try:
        loose = _LOOSE.decode(raw)
    except msgspec.ValidationError:  # not an object (ValidationError is a DecodeError, so it comes first)
        try:
            kind = _json_kind(msgspec.json.decode(raw))
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # refused before the rest was read: `0 trailing`
            return Rejection(index, EVENT, f"is not valid JSON: {exc}")
        return Rejection(index, EVENT, f"must be a JSON object (a CloudEvent), got {kind}")
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        return Rejection(index, EVENT, f"is not valid JSON: {exc}")
    values: dict[str, str] = {}
    for name in REQUIRED:
        value = getattr(loose, name)
        if value is msgspec.UNSET:
            return Rejection(index, name, "is required")
        if not isinstance(value, str):
            return Rejection(index, name, f"must be a string, got {_json_kind(value)}")
        values[name] = value
    time_value = loose.time
    event_time: datetime | None = None
    if time_value is not msgspec.UNSET and time_value is not None:
        if not isinstance(time_value, str):
            return Rejection(index, "time", f"must be an RFC 3339 timestamp string, got {_json_kind(time_value)}")
        try:
            event_time = parse_time(time_value)
        except ValueError as exc:
            return Rejection(index, "time", str(exc))
    return _Envelope(specversion=values["specversion"], id=values["id"], source=values["source"],
                     type=values["type"], subject=values["subject"], time=event_time, data=loose.data)


def validate_items(items: Iterable[tuple[int, bytes]], limits: Limits) -> tuple[list[ValidEvent], list[RejectedItem]]:
    """Split items into valid events and rejections (each with the item's position and raw bytes).

    Checks, in order: size, JSON, object, required attributes present / strings / non-blank / not
    too long, specversion, time (RFC 3339 with a timezone, not too far ahead), data is an object,
    type known when strict. A missing `time` is the arrival time `limits.now`.
    """
    valid: list[ValidEvent] = []
    rejected: list[RejectedItem] = []
    now = limits.now
    latest = now + limits.future_tolerance
    size_max = limits.event_bytes_max
    known = limits.known_types
    decode = _DECODER.decode
    tolerance_s = int(limits.future_tolerance.total_seconds())
    append = valid.append
    for index, raw in items:
        if len(raw) > size_max:
            rejected.append(RejectedItem(Rejection(
                index, EVENT, f"is {len(raw)} bytes, more than the limit of {size_max} (event_bytes_max)"), raw))
            continue
        try:
            env = decode(raw)
        except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError):
            explained = _explain(index, raw)
            if isinstance(explained, Rejection):
                rejected.append(RejectedItem(explained, raw))
                continue
            env = explained
        event_time = env.time
        # The common case in one expression; anything unusual is explained by _check.
        i, so, ty, su = env.id, env.source, env.type, env.subject
        if not (env.specversion == SPEC_VERSION and 0 < len(i) <= TEXT_CHARS_MAX and "!" <= i[0] <= "~"
                and 0 < len(so) <= TEXT_CHARS_MAX and "!" <= so[0] <= "~"
                and 0 < len(ty) <= TEXT_CHARS_MAX and "!" <= ty[0] <= "~"
                and 0 < len(su) <= TEXT_CHARS_MAX and "!" <= su[0] <= "~"
                and (event_time is None or event_time <= latest) and (known is None or ty in known)):
            problem = _check(index, env, latest, tolerance_s, known)
            if problem is not None:
                rejected.append(RejectedItem(problem, raw))
                continue
        if event_time is None:
            event_time = now
        elif event_time.tzinfo is not UTC:
            event_time = event_time.astimezone(UTC)
        data = env.data
        data_json = str(data, "utf-8") if data else _EMPTY_DATA  # the payload's exact text
        if data_json[0] != "{":
            if data_json == "null":
                data_json = _EMPTY_DATA
            else:
                kind = _json_kind(msgspec.json.decode(data_json))
                rejected.append(RejectedItem(Rejection(index, "data", f"must be a JSON object, got {kind}"), raw))
                continue
        append(new_valid((index, so, i, ty, su, event_time, data_json, raw)))
    return valid, rejected


def _check(index: int, env: _Envelope, latest: datetime, tolerance_s: int,
           known: frozenset[str] | None) -> Rejection | None:
    if env.specversion != SPEC_VERSION:
        return Rejection(index, "specversion", f'must be "{SPEC_VERSION}", got {env.specversion[:32]!r}')
    for name, value in (("id", env.id), ("source", env.source), ("type", env.type), ("subject", env.subject)):
        if not value or value.isspace():
            return Rejection(index, name, "must not be empty")
        if len(value) > TEXT_CHARS_MAX:
            return Rejection(index, name, f"is {len(value)} characters, more than {TEXT_CHARS_MAX}")
    if env.time is not None and env.time > latest:
        return Rejection(index, "time", f"{env.time.astimezone(UTC).isoformat()} is more than {tolerance_s} s in "
                                        f"the future (future_event_tolerance)")
    if known is not None and env.type not in known:
        return Rejection(index, "type", f"unknown event type {env.type!r} (the catalog is strict: no meter reads it)")
    return None
