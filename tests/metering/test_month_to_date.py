"""The month-to-date source answers every day prefix with exactly `period_usage`'s quantity."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from tally.metering.month_to_date import MonthToDateUsage
from tally.metering.usage import period_usage
from tally.period import Period
from tests.conftest import TestDatabase
from tests.metering.builders import INSTANCE_HOURS, T0, define, event, ingest, map_subject

OCT = Period.month("2026-10")
DAY = timedelta(days=1)


def _meter(aggregation: str) -> dict[str, object]:
    meter = dict(INSTANCE_HOURS, slug=f"hours_{aggregation.lower()}", aggregation=aggregation)
    if aggregation == "UNIQUE_COUNT":
        meter["valueProperty"] = "$.size"
    return meter


@pytest.mark.parametrize("aggregation", ["SUM", "COUNT", "UNIQUE_COUNT", "MAX", "LATEST"])
def test_every_day_prefix_equals_period_usage(db: TestDatabase, aggregation: str) -> None:
    meter = _meter(aggregation)
    define(db.uow_factory, meter)
    map_subject(db.uow_factory, "dep-1", "cust-1", T0)
    map_subject(db.uow_factory, "dep-2", "cust-1", T0)
    map_subject(db.uow_factory, "dep-3", "cust-2", T0)
    rng = random.Random(aggregation)
    ingest(db.uow_factory, [
        event("compute.instance.usage", rng.choice(["dep-1", "dep-2", "dep-3"]),
              T0 + timedelta(minutes=rng.randrange(31 * 24 * 60)),
              f'{{"hours": {rng.randrange(1, 400)}.{rng.randrange(100):02d}, '
              f'"size": "{rng.choice(["m5.large", "r6g.2xlarge"])}", "region": "{rng.choice(["eu", "us"])}"}}')
        for _ in range(300)])

    slug = str(meter["slug"])
    source = MonthToDateUsage()
    with db.uow_factory() as uow:
        for group_filter in (None, {"size": "m5.large"}, {"size": "r6g.2xlarge", "region": "eu"}):
            for days in range(1, 32):
                prefix = Period(OCT.start, OCT.start + days * DAY)
                cached = source(uow, customer_id="cust-1", period=prefix, meter_slug=slug, group_filter=group_filter)
                direct = period_usage(uow, customer_id="cust-1", period=prefix, meter_slug=slug,
                                      group_filter=group_filter)
                assert (cached.quantity, cached.meter_version) == (direct.quantity, direct.meter_version), \
                    (group_filter, days)
        going_back = source(uow, customer_id="cust-1", period=Period(OCT.start, OCT.start + 3 * DAY),
                            meter_slug=slug)
        assert going_back.quantity == period_usage(uow, customer_id="cust-1", meter_slug=slug,
                                                   period=Period(OCT.start, OCT.start + 3 * DAY)).quantity
        other = source(uow, customer_id="cust-2", period=OCT, meter_slug=slug)
        assert other.quantity == period_usage(uow, customer_id="cust-2", period=OCT, meter_slug=slug).quantity


def test_a_period_off_the_hour_is_answered_by_period_usage(db: TestDatabase) -> None:
    define(db.uow_factory, INSTANCE_HOURS)
    map_subject(db.uow_factory, "dep-1", "cust-1", T0)
    ingest(db.uow_factory, [event("compute.instance.usage", "dep-1", T0 + timedelta(minutes=m),
                                  '{"hours": 1, "size": "m5.large", "region": "eu"}') for m in (5, 50, 70)])
    with db.uow_factory() as uow:
        usage = MonthToDateUsage()(uow, customer_id="cust-1", meter_slug="instance_hours",
                                   period=Period(T0, T0 + timedelta(minutes=30)))
    assert usage.quantity == 1
