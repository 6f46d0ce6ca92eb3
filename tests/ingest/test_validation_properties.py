"""Validation properties: a well-formed event always passes with its payload text intact; removing any
required attribute always fails naming that attribute; nothing is ever dropped (valid + rejected = items)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import orjson
from hypothesis import given
from hypothesis import strategies as st

from tally.ingest.jsonexact import dumps_exact, loads_exact
from tally.ingest.validation import REQUIRED, Limits, validate_items

NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)
LIMITS = Limits(now=NOW, future_tolerance=timedelta(hours=1), event_bytes_max=1 << 20)

text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20).filter(
    lambda s: not s.isspace())
numbers = st.one_of(st.integers(-10**30, 10**30),
                    st.decimals(allow_nan=False, allow_infinity=False, places=6).map(lambda d: d.normalize()))
payloads = st.dictionaries(st.text(max_size=8), st.one_of(numbers, st.text(max_size=8), st.booleans(), st.none()),
                           max_size=5)
times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2026, 11, 15, 12),
                     timezones=st.just(UTC))


def raw_event(event_id: str, source: str, subject: str, at: datetime, data: dict[str, object]) -> bytes:
    head = orjson.dumps({"specversion": "1.0", "id": event_id, "source": source, "type": "t", "subject": subject,
                         "time": at.isoformat()})
    return head[:-1] + b',"data":' + dumps_exact(data).encode() + b"}"


@given(event_id=text, source=text, subject=text, at=times, data=payloads)
def test_well_formed_events_pass_with_exact_payloads(event_id: str, source: str, subject: str, at: datetime,
                                                     data: dict[str, object]) -> None:
    raw = raw_event(event_id, source, subject, at, data)
    valid, rejected = validate_items([(0, raw)], LIMITS)
    assert rejected == []
    (event,) = valid
    assert (event.event_id, event.source, event.subject, event.event_time) == (event_id, source, subject, at)
    assert event.data_json == dumps_exact(data)
    assert loads_exact(event.data_json) == {k: Decimal(v) if isinstance(v, Decimal) else v for k, v in data.items()}


@given(missing=st.sampled_from(REQUIRED), event_id=text, at=times)
def test_a_missing_required_attribute_is_named(missing: str, event_id: str, at: datetime) -> None:
    event = orjson.loads(raw_event(event_id, "s", "x", at, {}))
    del event[missing]
    _, rejected = validate_items([(0, orjson.dumps(event))], LIMITS)
    assert [(r.rejection.field, r.rejection.reason) for r in rejected] == [(missing, "is required")]


@given(items=st.lists(st.binary(max_size=40) | st.builds(lambda i: raw_event(i, "s", "x", NOW, {}), text),
                      max_size=20))
def test_nothing_is_dropped(items: list[bytes]) -> None:
    numbered = list(enumerate(items))
    valid, rejected = validate_items(numbered, LIMITS)
    assert sorted([v.position for v in valid] + [r.rejection.index for r in rejected]) == list(range(len(items)))
