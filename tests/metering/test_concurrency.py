"""Concurrent ingest transactions that touch the same rollups never lose an update (PostgreSQL).

SQLite serialises writers (BEGIN IMMEDIATE); PostgreSQL runs ingest transactions side by side — two HTTP
batches for one deployment and hour must both count.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest

from tally.metering.usage import period_usage
from tally.period import Period
from tests.conftest import TestDatabase
from tests.metering.builders import INSTANCE_HOURS, T0, define, event, ingest, map_subject

THREADS = 4
BATCHES = 15


@pytest.mark.postgres
def test_concurrent_batches_on_the_same_rollup_all_count(db: TestDatabase) -> None:
    define(db.uow_factory, INSTANCE_HOURS)
    map_subject(db.uow_factory, "dep-1", "cust-1", T0)
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def producer(n: int) -> None:
        try:
            start.wait()
            for b in range(BATCHES):
                ingest(db.uow_factory, [
                    event("compute.instance.usage", "dep-1", T0 + timedelta(minutes=m),
                          '{"hours": 1, "size": "m5.large", "region": "eu"}', event_id=f"t{n}-b{b}-m{m}")
                    for m in (1, 2, 3)])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=producer, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    with db.uow_factory() as uow:
        used = period_usage(uow, customer_id="cust-1", period=Period(T0, T0 + timedelta(hours=1)),
                            meter_slug="instance_hours")
    assert used.quantity == Decimal(THREADS * BATCHES * 3)
