"""Rollups maintained by the observer, usage from rollups and from raw events, versions, verify and
rebuild — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tally.clock import FixedClock
from tally.metering import service
from tally.metering.errors import MeterNotFound
from tally.metering.service import MeterAction
from tally.metering.usage import customers_with_usage, period_usage, period_usage_from_events, period_usage_many
from tally.period import Period
from tally.store.schema.ingest import subject_mappings
from tally.store.schema.metering import meter_rejects, meter_rollups
from tests.conftest import TestDatabase
from tests.metering.builders import ACTOR, INSTANCE_HOURS, T0, define, event, ingest, map_subject

OCT = Period.month("2026-10")
H = timedelta(hours=1)


def _usage(db: TestDatabase, customer: str, slug: str = "instance_hours", period: Period = OCT,
           group_filter: dict[str, str] | None = None) -> tuple[Decimal, Decimal, int]:
    with db.uow_factory() as uow:
        a = period_usage(uow, customer_id=customer, period=period, meter_slug=slug, group_filter=group_filter)
        b = period_usage_from_events(uow, customer_id=customer, period=period, meter_slug=slug,
                                     group_filter=group_filter)
    assert a.rollup_digest == b.rollup_digest or period.start.minute or period.end.minute
    return a.quantity, b.quantity, a.meter_version


def test_sum_is_exact_and_agrees_with_raw_events(db: TestDatabase) -> None:
    define(db.uow_factory, INSTANCE_HOURS)
    map_subject(db.uow_factory, "dep-1", "cust-1", T0)
    ingest(db.uow_factory, [
        event("compute.instance.usage", "dep-1", T0 + timedelta(minutes=5), '{"hours": 0.1, "size": "m5.large"}'),
        event("compute.instance.usage", "dep-1", T0 + timedelta(minutes=6), '{"hours": "0.2", "size": "m5.large"}'),
        event("compute.instance.usage", "dep-1", T0 + 3 * H, '{"hours": 12345678901234567890.000000000001,'
                                                                 ' "size": "r6g.2xlarge", "region": "eu"}'),
        event("other.type", "dep-1", T0, '{"hours": 5}'),
    ])
    rollup, raw, version = _usage(db, "cust-1", group_filter={"size": "m5.large"})
    assert rollup == raw == Decimal("0.3")
    assert str(rollup) == "0.3"
    assert version == 1
    total, _, _ = _usage(db, "cust-1")
    assert total == Decimal("12345678901234567890.300000000001")
    with db.uow_factory() as uow:
        assert customers_with_usage(uow, period=OCT) == ("cust-1",)
        many = period_usage_many(uow, customer_ids=["cust-1", "cust-2"], period=OCT, meter_slug="instance_hours")
    assert many["cust-1"].quantity == total and many["cust-2"].quantity == 0


def test_bad_values_are_meter_rejects_never_zero(db: TestDatabase) -> None:
    define(db.uow_factory, INSTANCE_HOURS)
    map_subject(db.uow_factory, "dep-1", "cust-1", T0)
    stored = ingest(db.uow_factory, [
        event("compute.instance.usage", "dep-1", T0, '{"size": "m5.large"}'),
        event("compute.instance.usage", "dep-1", T0, '{"hours": "lots"}'),
        event("compute.instance.usage", "dep-1", T0, '{"hours": true}'),
        event("compute.instance.usage", "dep-1", T0, '{"hours": 2}'),
    ])
    with db.uow_factory() as uow:
        rejects = service.rejects(uow)
        rows = uow.connection.execute(select(meter_rollups.c.event_count)).scalars().all()
    assert [r.event_seq for r in rejects] == [stored[0].seq, stored[1].seq, stored[2].seq]
    assert "missing" in rejects[0].reason and "not a number" in rejects[1].reason
    assert rows == [1]
    assert _usage(db, "cust-1")[:2] == (Decimal(2), Decimal(2))


@pytest.mark.parametrize(("aggregation", "expected"), [
    ("SUM", "10.5"), ("COUNT", "4"), ("MIN", "-1"), ("MAX", "7.5"), ("AVG", "2.625"), ("LATEST", "3"),
    ("UNIQUE_COUNT", "4"),
])
def test_every_aggregation(db: TestDatabase, aggregation: str, expected: str) -> None:
    define(db.uow_factory, {"slug": "m", "eventType": "t", "aggregation": aggregation, "valueProperty": "$.v"})
    map_subject(db.uow_factory, "s1", "c1", T0)
    map_subject(db.uow_factory, "s2", "c1", T0)
    ingest(db.uow_factory, [event("t", "s1", T0 + 2 * H, '{"v": 7.5}'), event("t", "s2", T0 + 5 * H, '{"v": 3}')])
    ingest(db.uow_factory, [event("t", "s1", T0, '{"v": 1}'), event("t", "s1", T0 + 30 * H, '{"v": -1}')])
    if aggregation == "LATEST":
        expected = "-1"
    rollup, raw, _ = _usage(db, "c1", "m")
    assert rollup == raw == Decimal(expected)


def test_filter_and_unique_count_over_hours(db: TestDatabase) -> None:
    define(db.uow_factory, {"slug": "users", "eventType": "login", "aggregation": "UNIQUE_COUNT",
                            "valueProperty": "$.user", "filter": {"tier": "production"}})
    map_subject(db.uow_factory, "app", "c1", T0)
    ingest(db.uow_factory, [event("login", "app", T0 + i * H, f'{{"user": "u{i % 3}", "tier": "production"}}')
                            for i in range(9)] + [event("login", "app", T0, '{"user": "u9", "tier": "dev"}')])
    assert _usage(db, "c1", "users")[:2] == (Decimal(3), Decimal(3))


def test_unmapped_usage_is_attributed_once_mapped(db: TestDatabase) -> None:
    define(db.uow_factory, INSTANCE_HOURS)
    ingest(db.uow_factory, [event("compute.instance.usage", "dep-9", T0 + 2 * H, '{"hours": 4}')])
    with db.uow_factory() as uow:
        assert uow.connection.execute(select(meter_rollups.c.customer_id)).scalars().all() == [""]
        assert customers_with_usage(uow, period=OCT) == ()
    map_subject(db.uow_factory, "dep-9", "cust-9", T0, notify=True)
    assert _usage(db, "cust-9")[:2] == (Decimal(4), Decimal(4))
    with db.uow_factory() as uow:
        assert uow.connection.execute(select(meter_rollups.c.customer_id)).scalars().all() == ["cust-9"]


def test_partial_hour_periods_are_exact(db: TestDatabase) -> None:
    define(db.uow_factory, INSTANCE_HOURS)
    map_subject(db.uow_factory, "dep-1", "cust-1", T0)
    ingest(db.uow_factory, [event("compute.instance.usage", "dep-1", T0 + timedelta(minutes=m), f'{{"hours": {m}}}')
                            for m in (0, 10, 20, 70, 130, 150)])
    period = Period(T0 + timedelta(minutes=10), T0 + timedelta(minutes=140))
    assert _usage(db, "cust-1", period=period)[:2] == (Decimal(10 + 20 + 70 + 130), Decimal(230))
    tiny = Period(T0 + timedelta(minutes=5), T0 + timedelta(minutes=15))
    assert _usage(db, "cust-1", period=tiny)[:2] == (Decimal(10), Decimal(10))


def test_versions_period_uses_version_at_its_start(db: TestDatabase) -> None:
    changes = define(db.uow_factory, INSTANCE_HOURS)
    assert changes[0].action is MeterAction.CREATED and changes[0].effective_from is None
    assert define(db.uow_factory, INSTANCE_HOURS)[0].action is MeterAction.UNCHANGED
    map_subject(db.uow_factory, "dep-1", "cust-1", T0)
    ingest(db.uow_factory, [event("compute.instance.usage", "dep-1", T0 + 24 * H, '{"hours": 2, "gpu": 5}')])
    nov = datetime(2026, 11, 1, tzinfo=UTC)
    changed = {**INSTANCE_HOURS, "valueProperty": "$.gpu"}
    change = define(db.uow_factory, changed, at=datetime(2026, 10, 20, tzinfo=UTC))[0]
    assert (change.action, change.version) == (MeterAction.VERSIONED, 2)
    ingest(db.uow_factory, [event("compute.instance.usage", "dep-1", datetime(2026, 10, 25, tzinfo=UTC),
                                  '{"hours": 1, "gpu": 10}'),
                            event("compute.instance.usage", "dep-1", nov + H, '{"hours": 3, "gpu": 30}')])
    assert _usage(db, "cust-1") == (Decimal(3), Decimal(3), 1)  # October is measured with v1 throughout
    assert _usage(db, "cust-1", period=Period.month("2026-11")) == (Decimal(30), Decimal(30), 2)
    assert service.verify(db.uow_factory, period_or_range=Period(OCT.start, nov + 24 * H)).ok


def test_unknown_and_deleted_meters_are_clear_errors(db: TestDatabase) -> None:
    with db.uow_factory() as uow, pytest.raises(MeterNotFound, match="nope"):
        period_usage(uow, customer_id="c", period=OCT, meter_slug="nope")
    define(db.uow_factory, INSTANCE_HOURS)
    service.delete_meter(db.uow_factory, "instance_hours", actor=ACTOR, clock=FixedClock(T0))
    with db.uow_factory() as uow, pytest.raises(MeterNotFound):
        period_usage(uow, customer_id="c", period=OCT, meter_slug="instance_hours")
    recreated = define(db.uow_factory, INSTANCE_HOURS)[0]
    assert (recreated.action, recreated.version, recreated.effective_from) == (MeterAction.CREATED, 2, None)


def test_meter_defined_after_events_is_backfilled(db: TestDatabase) -> None:
    map_subject(db.uow_factory, "dep-1", "cust-1", T0)
    ingest(db.uow_factory, [event("compute.instance.usage", "dep-1", T0 + H, '{"hours": 4}')])
    assert define(db.uow_factory, INSTANCE_HOURS)[0].events_backfilled == 1
    assert _usage(db, "cust-1")[:2] == (Decimal(4), Decimal(4))


def test_verify_finds_a_tampered_rollup_and_rebuild_repairs_it(db: TestDatabase) -> None:
    define(db.uow_factory, INSTANCE_HOURS)
    map_subject(db.uow_factory, "dep-1", "cust-1", T0)
    ingest(db.uow_factory, [event("compute.instance.usage", "dep-1", T0 + i * H, '{"hours": 1.5}') for i in range(5)])
    assert service.verify(db.uow_factory, period_or_range=OCT).ok
    with db.uow_factory() as uow:
        uow.connection.execute(update(meter_rollups).where(meter_rollups.c.window_start == T0 + 2 * H)
                               .values(value_sum=Decimal("99")))
        uow.commit()
    report = service.verify(db.uow_factory, period_or_range=OCT)
    assert [d.window_start for d in report.differences] == [T0 + 2 * H]
    assert report.differences[0].stored is not None and report.differences[0].stored.sum == 99
    seen: list[int] = []
    result = service.rebuild(db.uow_factory, "instance_hours", period=OCT, actor=ACTOR, clock=FixedClock(T0),
                             progress=seen.append)
    assert result.events_read == 5 and sum(seen) == 5
    assert service.verify(db.uow_factory, period_or_range=OCT).ok
    with db.uow_factory() as uow:
        assert uow.connection.execute(select(meter_rejects)).all() == []


def test_catalog_apply_hands_meters_to_metering(db: TestDatabase) -> None:
    from tally.catalog.service import apply_catalog

    text = (Path(__file__).parents[2] / "src" / "tally" / "demo" / "catalog.yaml").read_text()
    apply_catalog(db.uow_factory, text, actor=ACTOR, clock=FixedClock(T0), dry_run=True)
    with db.uow_factory() as uow:
        assert service.list_meters(uow) == ()
    apply_catalog(db.uow_factory, text, actor=ACTOR, clock=FixedClock(T0))
    with db.uow_factory() as uow:
        assert sorted(m.slug for m in service.list_meters(uow)) == [
            "egress_gb", "ingest_gb", "instance_hours", "search_requests", "snapshot_gb_hours"]
        assert service.stored_slugs(uow) == frozenset(m.slug for m in service.list_meters(uow))


def test_remap_moves_usage_between_customers_from_the_instant(db: TestDatabase) -> None:
    define(db.uow_factory, INSTANCE_HOURS)
    map_subject(db.uow_factory, "dep-1", "cust-a", T0)
    ingest(db.uow_factory, [event("compute.instance.usage", "dep-1", T0 + timedelta(hours=h, minutes=m),
                                  '{"hours": 1}') for h in range(4) for m in (10, 50)])
    # dep-1 moves to cust-b at 02:30 (mid-hour): the ingest service ends the old mapping and notifies.
    move = T0 + timedelta(hours=2, minutes=30)
    with db.uow_factory() as uow:
        uow.connection.execute(update(subject_mappings).where(subject_mappings.c.subject == "dep-1")
                               .values(effective_to=move))
        uow.commit()
    map_subject(db.uow_factory, "dep-1", "cust-b", move, notify=True)
    assert _usage(db, "cust-a")[:2] == (Decimal(5), Decimal(5))
    assert _usage(db, "cust-b")[:2] == (Decimal(3), Decimal(3))
    assert service.verify(db.uow_factory, period_or_range=OCT).ok


def test_known_event_types_only_in_strict_mode(db: TestDatabase) -> None:
    from tally.metering.observer import MeteringObserver

    define(db.uow_factory, INSTANCE_HOURS)
    with db.uow_factory() as uow:
        assert MeteringObserver().known_event_types(uow) is None
        assert MeteringObserver(strict_event_types=True).known_event_types(uow) == frozenset(
            {"compute.instance.usage"})
