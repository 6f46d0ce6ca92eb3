"""CloudEvents validation: worked cases, one per reason, and exact payloads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from tally.ingest.validation import Limits, validate_items

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
LIMITS = Limits(now=NOW, future_tolerance=timedelta(hours=1), event_bytes_max=2048)


def event(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {"specversion": "1.0", "id": "e-1", "source": "svc", "type": "api.calls",
                               "subject": "dep-1", "time": "2026-11-15T11:00:00Z", "data": {"n": 1}}
    for key, value in changes.items():
        if value is ...:
            base.pop(key)
        else:
            base[key] = value
    return base


def one(raw: bytes, limits: Limits = LIMITS) -> tuple[str, str] | None:
    valid, rejected = validate_items([(7, raw)], limits)
    if valid:
        return None
    (item,) = rejected
    assert item.rejection.index == 7 and item.raw == raw
    return item.rejection.field, item.rejection.reason


def enc(value: object) -> bytes:
    return orjson.dumps(value)


@pytest.mark.parametrize(("raw", "field", "reason"), [
    (b'{"specversion": "1.0", nope', "event", "is not valid JSON"),
    (b"[1, 2]", "event", "must be a JSON object (a CloudEvent), got array"),
    (b'"text"', "event", "must be a JSON object (a CloudEvent), got string"),
    (enc(event(specversion=...)), "specversion", "is required"),
    (enc(event(id=...)), "id", "is required"),
    (enc(event(source=...)), "source", "is required"),
    (enc(event(type=...)), "type", "is required"),
    (enc(event(subject=...)), "subject", "is required"),
    (enc(event(id=42)), "id", "must be a string, got number"),
    (enc(event(subject=None)), "subject", "must be a string, got null"),
    (enc(event(specversion="0.3")), "specversion", 'must be "1.0", got \'0.3\''),
    (enc(event(id="")), "id", "must not be empty"),
    (enc(event(source="   ")), "source", "must not be empty"),
    (enc(event(type="x" * 256)), "type", "is 256 characters, more than 255"),
    (enc(event(time="yesterday")), "time", "is not an RFC 3339 timestamp"),
    (enc(event(time="2026-11-15T11:00:00")), "time", "must carry a timezone"),
    (enc(event(time=1731668400)), "time", "must be an RFC 3339 timestamp string, got number"),
    (enc(event(time="2026-11-15T13:00:01Z")), "time", "is more than 3600 s in the future"),
    (enc(event(data=[1, 2])), "data", "must be a JSON object, got array"),
    (enc(event(data="12")), "data", "must be a JSON object, got string"),
    (enc(event(data=5)), "data", "must be a JSON object, got number"),
    (enc(event(data={"blob": "x" * 3000})), "event", "more than the limit of 2048 (event_bytes_max)"),
])
def test_each_reason_is_named(raw: bytes, field: str, reason: str) -> None:
    got = one(raw)
    assert got is not None, "expected a rejection"
    assert got[0] == field
    assert reason in got[1]


def test_unknown_type_when_strict() -> None:
    strict = Limits(now=NOW, future_tolerance=timedelta(hours=1), event_bytes_max=2048,
                    known_types=frozenset({"other.type"}))
    assert one(enc(event()), strict) == ("type", "unknown event type 'api.calls' (the catalog is strict: no meter "
                                                 "reads it)")
    assert one(enc(event(type="other.type")), strict) is None


def test_payload_text_is_kept_byte_for_byte() -> None:
    raw = (b'{"specversion":"1.0","id":"a","source":"s","type":"t","subject":"x","time":"2026-11-15T10:00:00Z",'
           b'"data":{"gb": 0.1000000000000000055511151231257827, "big": 123456789012345678901234567890,'
           b' "s":"1.50"}}')
    (valid,), rejected = validate_items([(0, raw)], LIMITS)
    assert not rejected
    assert valid.data_json == ('{"gb": 0.1000000000000000055511151231257827, "big": 123456789012345678901234567890,'
                               ' "s":"1.50"}')


def test_time_is_normalised_to_utc_and_defaults_to_now() -> None:
    (shifted,), _ = validate_items([(0, enc(event(time="2026-11-15T13:30:00+02:00")))], LIMITS)
    assert shifted.event_time == datetime(2026, 11, 15, 11, 30, tzinfo=UTC)
    assert shifted.event_time.tzinfo is UTC
    (missing,), _ = validate_items([(0, enc(event(time=...)))], LIMITS)
    assert missing.event_time == NOW
    (null,), _ = validate_items([(0, enc(event(time=None)))], LIMITS)
    assert null.event_time == NOW


def test_missing_or_null_data_is_an_empty_object() -> None:
    valid, rejected = validate_items([(0, enc(event(data=...))), (1, enc(event(id="e-2", data=None)))], LIMITS)
    assert not rejected and [v.data_json for v in valid] == ["{}", "{}"]


def test_extension_attributes_are_ignored_and_the_limit_on_the_future_is_inclusive() -> None:
    valid, rejected = validate_items([(0, enc(event(time="2026-11-15T13:00:00Z", region="eu", datacontenttype=
                                                    "application/json")))], LIMITS)
    assert not rejected and valid[0].event_time == NOW + timedelta(hours=1)


def test_a_batch_keeps_positions_and_splits_good_from_bad() -> None:
    items = [(0, enc(event(id="a"))), (1, enc(event(id=""))), (2, b"nonsense"), (3, enc(event(id="b")))]
    valid, rejected = validate_items(items, LIMITS)
    assert [v.position for v in valid] == [0, 3]
    assert [(r.rejection.index, r.rejection.field) for r in rejected] == [(1, "id"), (2, "event")]
