"""Meter queries: windows from rollups agree with windows from raw events, in any time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tally.metering.errors import MeterInvalid, MeterNotFound
from tally.metering.query import MeterQuery, WindowSize, query_meter
from tests.conftest import TestDatabase
from tests.metering.builders import INSTANCE_HOURS, T0, define, event, ingest, map_subject

START, END = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 4, tzinfo=UTC)


@pytest.fixture
def seeded(db: TestDatabase) -> TestDatabase:
    define(db.uow_factory, INSTANCE_HOURS)
    map_subject(db.uow_factory, "dep-1", "cust-1", T0)
    ingest(db.uow_factory, [event("compute.instance.usage", f"dep-{1 + h % 2}", T0 + timedelta(hours=h, minutes=7),
                                  f'{{"hours": 0.{h % 9 + 1}, "region": "{"eu" if h % 3 else "us"}"}}')
                            for h in range(72)])
    return db


def _rows(db: TestDatabase, **kw: object) -> list[tuple[object, ...]]:
    with db.uow_factory() as uow:
        result = query_meter(uow, MeterQuery(slug="instance_hours", **kw))  # type: ignore[arg-type]
    return [(r.window_start, r.window_end, r.subject, r.customer_id, r.group_by, r.value) for r in result.rows]


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_day_windows_from_rollups_equal_minute_windows_summed(seeded: TestDatabase, zone: str) -> None:
    days = _rows(seeded, start=START, end=END, window_size=WindowSize.DAY, window_time_zone=zone,
                 group_by=("region",))
    minutes = _rows(seeded, start=START, end=END, window_size=WindowSize.MINUTE, group_by=("region",))
    assert sum(r[5] for r in days) == sum(r[5] for r in minutes)  # type: ignore[misc]
    assert len(minutes) == 72
    if zone == "America/New_York":
        assert days[0][0] == datetime(2026, 9, 30, 4, tzinfo=UTC)  # local midnight, EDT


def test_whole_range_customer_and_subject_filters(seeded: TestDatabase) -> None:
    (total,) = _rows(seeded, start=START, end=END, customer_ids=("cust-1",))
    assert total[0] == START and total[1] == END and total[3] == "cust-1"
    assert total[5] == sum(Decimal(f"0.{h % 9 + 1}") for h in range(0, 72, 2))
    unmapped = _rows(seeded, subjects=("dep-2",), group_by=("subject", "customer_id"))
    assert [(r[2], r[3]) for r in unmapped] == [("dep-2", "")]
    hourly = _rows(seeded, start=START, end=START + timedelta(hours=3), window_size=WindowSize.HOUR,
                   filter_group_by=(("region", ("us",)),))
    assert [r[5] for r in hourly] == [Decimal("0.1")]


def test_bad_queries_name_the_field(seeded: TestDatabase) -> None:
    with pytest.raises(MeterInvalid, match="groupBy"):
        _rows(seeded, group_by=("colour",))
    with pytest.raises(MeterInvalid, match="windowTimeZone"):
        _rows(seeded, window_size=WindowSize.DAY, window_time_zone="Mars/Olympus")
    with pytest.raises(MeterInvalid, match="31 days"):
        _rows(seeded, start=START, end=START + timedelta(days=40), window_size=WindowSize.MINUTE)
    with seeded.uow_factory() as uow, pytest.raises(MeterNotFound):
        query_meter(uow, MeterQuery(slug="nope"))
