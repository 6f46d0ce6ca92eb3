"""Daily rollups: always the hourly rollups merged per UTC day (through ingest, late events, remaps,
rebuilds and the migration's backfill), and usage read through them equal to usage from raw events —
on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, update

from tally.clock import FixedClock
from tally.metering import service, store
from tally.metering.model import RollupState
from tally.metering.rollup import KeyTuple
from tally.metering.usage import period_usage, period_usage_from_events
from tally.period import Period
from tally.store.engine import build_engine
from tally.store.schema.ingest import subject_mappings
from tally.store.schema.metering import meter_daily_rollups
from tally.store.uow import UnitOfWorkFactory
from tests.conftest import TestDatabase
from tests.metering.builders import ACTOR, INSTANCE_HOURS, T0, define, event, ingest, map_subject

OCT = Period.month("2026-10")
H = timedelta(hours=1)
D = timedelta(days=1)
USAGE = "compute.instance.usage"


def _levels(uow_factory: UnitOfWorkFactory, slug: str = "instance_hours"
            ) -> tuple[dict[KeyTuple, RollupState], dict[KeyTuple, RollupState]]:
    """(stored daily rollups, stored hourly rollups merged per day)."""
    with uow_factory() as uow:
        hours = store.select_states(uow.connection, meter_slug=slug, meter_version=1, start=None, end=None)
        days = store.select_states(uow.connection, meter_slug=slug, meter_version=1, start=None, end=None,
                                   table=store.DAILY)
    return days, store.daily_states(hours)


def test_days_are_the_hours_merged_through_batches_and_late_events(db: TestDatabase) -> None:
    define(db.uow_factory, INSTANCE_HOURS)
    map_subject(db.uow_factory, "dep-1", "cust-1", T0)
    ingest(db.uow_factory, [event(USAGE, "dep-1", T0 + h * H, '{"hours": 1.25, "size": "m5.large"}')
                            for h in range(0, 60, 5)])
    ingest(db.uow_factory, [event(USAGE, "dep-1", T0 + 23 * H + timedelta(minutes=59), '{"hours": 0.5}'),
                            event(USAGE, "dep-1", T0 + 2 * D, '{"hours": "2", "size": "m5.large"}')])
    days, expected = _levels(db.uow_factory)
    assert days == expected
    first_day = [state for key, state in days.items() if key[4] == T0]
    assert sorted((s.count, s.sum) for s in first_day) == [(1, Decimal("0.5")), (5, Decimal("6.25"))]  # 2 groups
    assert service.verify(db.uow_factory, period_or_range=OCT).ok


def test_a_month_reads_whole_days_and_edge_hours_equal_to_raw_events(db: TestDatabase) -> None:
    define(db.uow_factory, INSTANCE_HOURS)
    map_subject(db.uow_factory, "dep-1", "cust-1", T0)
    ingest(db.uow_factory, [event(USAGE, "dep-1", T0 + timedelta(minutes=37 * i), f'{{"hours": {i % 7}.1}}')
                            for i in range(400)])
    # mid-day to mid-day, with partial hours at both ends: days, hours and raw-event edges all take part
    period = Period(T0 + 5 * H + timedelta(minutes=20), T0 + 8 * D + 13 * H + timedelta(minutes=10))
    expected = sum((Decimal(f"{i % 7}.1") for i in range(400)
                    if period.start <= T0 + timedelta(minutes=37 * i) < period.end), Decimal(0))
    with db.uow_factory() as uow:
        from_rollups = period_usage(uow, customer_id="cust-1", period=period, meter_slug="instance_hours")
        from_events = period_usage_from_events(uow, customer_id="cust-1", period=period, meter_slug="instance_hours")
        whole = Period(T0, T0 + 11 * D)  # 400 events 37 minutes apart: 10.3 days
        whole_rollups = period_usage(uow, customer_id="cust-1", period=whole, meter_slug="instance_hours")
        whole_events = period_usage_from_events(uow, customer_id="cust-1", period=whole, meter_slug="instance_hours")
    assert from_rollups.quantity == from_events.quantity == expected
    assert whole_rollups.quantity == whole_events.quantity == sum(Decimal(f"{i % 7}.1") for i in range(400))
    assert whole_rollups.rollup_digest == whole_events.rollup_digest


def test_a_tampered_day_is_found_by_verify_and_repaired_by_rebuild(db: TestDatabase) -> None:
    define(db.uow_factory, INSTANCE_HOURS)
    map_subject(db.uow_factory, "dep-1", "cust-1", T0)
    ingest(db.uow_factory, [event(USAGE, "dep-1", T0 + h * H, '{"hours": 1}') for h in range(50)])
    with db.uow_factory() as uow:
        uow.connection.execute(update(meter_daily_rollups).where(meter_daily_rollups.c.window_start == T0 + D)
                               .values(value_sum=Decimal("1000")))
        uow.commit()
    report = service.verify(db.uow_factory, period_or_range=OCT)
    assert [(d.level, d.window_start) for d in report.differences] == [("day", T0 + D)]
    assert report.differences[0].stored is not None and report.differences[0].stored.sum == 1000
    assert report.differences[0].expected == RollupState(count=24, sum=Decimal(24), min=Decimal(1), max=Decimal(1),
                                                         latest=Decimal(1), latest_time=T0 + 47 * H,
                                                         latest_seq=report.differences[0].expected.latest_seq)
    service.rebuild(db.uow_factory, "instance_hours", period=Period(T0 + D + 3 * H, T0 + D + 4 * H), actor=ACTOR,
                    clock=FixedClock(T0))
    assert service.verify(db.uow_factory, period_or_range=OCT).ok
    days, expected = _levels(db.uow_factory)
    assert days == expected


def test_a_remap_mid_day_moves_that_days_totals(db: TestDatabase) -> None:
    define(db.uow_factory, INSTANCE_HOURS)
    map_subject(db.uow_factory, "dep-1", "cust-a", T0)
    map_subject(db.uow_factory, "dep-2", "cust-a", T0)
    ingest(db.uow_factory, [event(USAGE, dep, T0 + h * H + timedelta(minutes=10), '{"hours": 1}')
                            for h in range(72) for dep in ("dep-1", "dep-2")])
    move = T0 + D + 12 * H + timedelta(minutes=30)
    with db.uow_factory() as uow:
        uow.connection.execute(update(subject_mappings).where(subject_mappings.c.subject == "dep-1")
                               .values(effective_to=move))
        uow.commit()
    map_subject(db.uow_factory, "dep-1", "cust-b", move, notify=True)
    days, expected = _levels(db.uow_factory)
    assert days == expected
    by_customer: dict[tuple[str, datetime], Decimal] = {}
    for key, state in days.items():
        by_customer[(key[2], key[4])] = by_customer.get((key[2], key[4]), Decimal(0)) + state.sum
    assert by_customer[("cust-b", T0 + D)] == 11 and by_customer[("cust-a", T0 + D)] == 24 + 13
    assert by_customer[("cust-b", T0 + 2 * D)] == 24 and ("cust-b", T0) not in by_customer
    assert service.verify(db.uow_factory, period_or_range=OCT).ok


def test_the_migration_backfill_merges_existing_hours(db: TestDatabase) -> None:
    define(db.uow_factory, INSTANCE_HOURS)
    map_subject(db.uow_factory, "dep-1", "cust-1", T0)
    ingest(db.uow_factory, [event(USAGE, "dep-1", T0 + h * H, f'{{"hours": {h}.5}}') for h in range(0, 100, 3)])
    before, _ = _levels(db.uow_factory)
    with db.uow_factory() as uow:
        uow.connection.execute(delete(meter_daily_rollups))
        store.merge_hours_into_days(uow.connection, meter_slug="instance_hours", meter_version=1)
        uow.commit()
    after, expected = _levels(db.uow_factory)
    assert after == before == expected and len(after) == 5


events_over_days = st.lists(st.tuples(st.integers(0, 4 * 24 * 60 - 1), st.sampled_from(["a", "b"]),
                                      st.sampled_from(["0.1", "2", "0.25", "13.000001"])), min_size=1, max_size=60)
instants = st.integers(0, 4 * 24 * 60)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events_over_days, st.integers(1, 20), instants, instants)
def test_any_batches_keep_days_equal_to_hours_and_any_period_reads_like_raw_events(
        sqlite_template: Path, tmp_path: Path, items: list[tuple[int, str, str]], batch: int, a: int,
        b: int) -> None:
    path = tmp_path / f"{uuid.uuid4().hex}.db"
    shutil.copyfile(sqlite_template, path)
    engine = build_engine(f"sqlite:///{path}")
    uow_factory = UnitOfWorkFactory(engine)
    define(uow_factory, INSTANCE_HOURS)
    map_subject(uow_factory, "a", "cust-1", T0)
    map_subject(uow_factory, "b", "cust-1", T0)
    batch_events = [event(USAGE, s, T0 + timedelta(minutes=m), f'{{"hours": {v}}}') for m, s, v in items]
    for i in range(0, len(batch_events), batch):
        ingest(uow_factory, batch_events[i:i + batch])
    days, expected = _levels(uow_factory)
    assert days == expected
    period = Period(T0 + timedelta(minutes=min(a, b)), T0 + timedelta(minutes=max(a, b) + 1))
    with uow_factory() as uow:
        from_rollups = period_usage(uow, customer_id="cust-1", period=period, meter_slug="instance_hours")
        from_events = period_usage_from_events(uow, customer_id="cust-1", period=period, meter_slug="instance_hours")
    assert from_rollups.quantity == from_events.quantity == sum(
        (Decimal(v) for m, _, v in items if period.start <= T0 + timedelta(minutes=m) < period.end), Decimal(0))
    engine.dispose()


hour_values = st.dictionaries(st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 3 * 24 - 1)),
                              st.lists(st.sampled_from(["1", "1.0", "0.10", "0.1", "-2.5", "7"]), min_size=1,
                                       max_size=4),
                              min_size=1, max_size=30)


def _lowest(values: list[Decimal]) -> Decimal:
    low = min(values)
    return min((v for v in values if v == low), key=str)  # equal values: the smaller spelling


def _highest(values: list[Decimal]) -> Decimal:
    high = max(values)
    return min((v for v in values if v == high), key=str)


@given(hour_values)
def test_days_of_raw_hourly_states_are_the_days_values_and_leave_the_hours_unchanged(
        hours: dict[tuple[str, int], list[str]]) -> None:
    """The write path merges the accumulator's raw lists per day. Oracle: each day's state computed from
    all its values at once (equal values of different spelling keep the smaller spelling; latest is the
    last value of the day's last hour). The hourly states it is given are not changed."""
    raw: dict[KeyTuple, list[object]] = {}
    by_day: dict[tuple[str, int], list[tuple[int, Decimal]]] = {}
    for (subject, hour), texts in hours.items():
        numbers = [Decimal(t) for t in texts]
        raw[("s", 1, "cust-1", subject, T0 + hour * H, "{}")] = [
            len(numbers), sum(numbers, Decimal(0)), _lowest(numbers), _highest(numbers), numbers[-1],
            T0 + hour * H + (len(numbers) - 1) * timedelta(minutes=1), hour]
        by_day.setdefault((subject, hour // 24), []).extend((hour, n) for n in numbers)
    before = {k: list(v) for k, v in raw.items()}
    expected: dict[KeyTuple, RollupState] = {}
    for (subject, day), values in by_day.items():
        numbers = [n for _, n in values]
        last_hour = max(h for h, _ in values)
        expected[("s", 1, "cust-1", subject, T0 + day * D, "{}")] = RollupState(
            count=len(numbers), sum=sum(numbers, Decimal(0)), min=_lowest(numbers), max=_highest(numbers),
            latest=[n for h, n in values if h == last_hour][-1],
            latest_time=T0 + last_hour * H + (len(hours[(subject, last_hour)]) - 1) * timedelta(minutes=1),
            latest_seq=last_hour)
    got = store.daily_states(raw)
    assert got == expected
    spelled = {k: (str(v.min), str(v.max), str(v.latest)) for k, v in expected.items()}
    assert {k: (str(v.min), str(v.max), str(v.latest)) for k, v in got.items()} == spelled  # == ignores 1 vs 1.0
    assert raw == before


def test_rollup_tables_are_named_not_free_text() -> None:
    with UnitOfWorkFactory(build_engine("sqlite://"))() as uow:
        with pytest.raises(ValueError, match="no rollup table"):
            store.sum_rows(uow.connection, meter_slug="m", meter_version=1, start=T0, end=T0 + H,
                           customer_ids=["c"], table="events; --")
        with pytest.raises(ValueError, match="no rollup table"):
            store.select_states(uow.connection, meter_slug="m", meter_version=1, start=None, end=None,
                                table="events")
