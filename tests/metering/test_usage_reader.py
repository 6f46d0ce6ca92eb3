"""UsageReader answers every product filter from one read, exactly as the uncached functions do."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tally.metering.usage import UsageReader, period_usage, period_usage_from_events
from tally.period import Period
from tests.conftest import TestDatabase
from tests.metering.builders import INSTANCE_HOURS, T0, define, event, ingest, map_subject, store_events

OCT = Period.month("2026-10")
FILTERS = (None, {"size": "m5.large"}, {"size": "r6g.2xlarge"}, {"size": "m5.large", "region": "us"}, {"size": "x"})


def _load(db: TestDatabase) -> None:
    define(db.uow_factory, INSTANCE_HOURS)
    map_subject(db.uow_factory, "dep-1", "cust-1", T0)
    map_subject(db.uow_factory, "dep-2", "cust-1", T0)
    ingest(db.uow_factory, [
        event("compute.instance.usage", f"dep-{1 + n % 2}", T0 + timedelta(hours=n, minutes=7),
              f'{{"hours": {n % 5}.25, "size": "{("m5.large", "r6g.2xlarge")[n % 3 == 0]}", '
              f'"region": "{("eu", "us")[n % 2]}"}}')
        for n in range(60)])


@pytest.mark.parametrize("period", [OCT, Period(T0 + timedelta(minutes=30), T0 + timedelta(days=1, minutes=10))])
def test_every_filter_matches_period_usage(db: TestDatabase, period: Period) -> None:
    _load(db)
    reader = UsageReader()
    with db.uow_factory() as uow:
        for group_filter in FILTERS:
            cached = reader(uow, customer_id="cust-1", period=period, meter_slug="instance_hours",
                            group_filter=group_filter)
            direct = period_usage(uow, customer_id="cust-1", period=period, meter_slug="instance_hours",
                                  group_filter=group_filter)
            assert cached == direct, group_filter


def test_from_events_counts_only_what_was_received_by_then(db: TestDatabase) -> None:
    _load(db)
    late_arrival = T0 + timedelta(days=40)
    with db.uow_factory() as uow:
        store_events(uow, [event("compute.instance.usage", "dep-1", T0 + timedelta(hours=2),
                                 '{"hours": 100, "size": "m5.large", "region": "eu"}')], received_at=late_arrival)
        uow.commit()
    with db.uow_factory() as uow:
        before = UsageReader(from_events=True, received_by=late_arrival - timedelta(seconds=1))(
            uow, customer_id="cust-1", period=OCT, meter_slug="instance_hours")
        after = UsageReader(from_events=True, received_by=late_arrival)(
            uow, customer_id="cust-1", period=OCT, meter_slug="instance_hours")
        everything = period_usage_from_events(uow, customer_id="cust-1", period=OCT, meter_slug="instance_hours")
    assert after.quantity - before.quantity == 100
    assert after == everything
