"""Benchmark (not a test): close a month for N self-serve customers on SQLite, bill it, close the next.

    PYTHONPATH=. .venv/bin/python bench/close.py 300      (from the checkout root: it reuses the test fakes)

Usage is injected (3 meters a customer, every day of November), so the figure is the ledger's and
rating's cost, not metering's.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.invoicing.fakes import make_deps
from tests.ledger.fakes import DailyUsage, RealRater

from tally.audit.model import Actor
from tally.catalog.service import apply_catalog
from tally.clock import FixedClock
from tally.contracts import service as contracts_service
from tally.contracts.service import NewCustomer, subscribe_customers
from tally.invoicing.billing_run import run_billing
from tally.ledger import reports, service
from tally.period import Period
from tally.store.engine import build_engine
from tally.store.migrate import upgrade
from tally.store.uow import UnitOfWorkFactory

CATALOG = Path(__file__).parents[1] / "src" / "tally" / "demo" / "catalog.yaml"


def main(customers: int) -> None:
    engine = build_engine(f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}")
    upgrade(engine)
    uow_factory = UnitOfWorkFactory(engine)
    actor, clock = Actor.cli_user("bench"), FixedClock(datetime(2026, 11, 15, tzinfo=UTC))
    apply_catalog(uow_factory, CATALOG.read_text(), actor=actor, clock=clock)
    ids = [f"cust-{i:04d}" for i in range(1, customers + 1)]
    subscribe_customers(uow_factory, [NewCustomer(customer_id=c, plan_code="self-serve",
                                                  start=datetime(2026, 10, 1, tzinfo=UTC)) for c in ids],
                        actor=actor, clock=clock)
    usage = DailyUsage()
    for c in ids:
        (usage.add(c, "instance_hours", "24", range(1, 31), size="m5.large").add(c, "egress_gb", "7", range(1, 31))
         .add(c, "ingest_gb", "50", range(1, 31)))
    rater = RealRater(usage)
    clock.current = datetime(2026, 12, 1, 1, tzinfo=UTC)
    started = time.perf_counter()  # float-ok
    nov = service.close_period(uow_factory, Period.month("2026-11"), actor=actor, clock=clock, deps=rater.deps())
    print(f"close 2026-11: {time.perf_counter() - started:.1f} s, {nov.counts}, passed={nov.passed}")
    clock.current = datetime(2026, 12, 2, 9, tzinfo=UTC)
    deps = dataclasses.replace(make_deps(), rater=rater, customers=contracts_service, credits=contracts_service)
    started = time.perf_counter()  # float-ok
    billing = run_billing(uow_factory, period=Period.month("2026-11"), deps=deps, actor=actor, clock=clock,
                          issue=True)
    print(f"bill 2026-11: {time.perf_counter() - started:.1f} s, {billing.issued} issued")
    clock.current = datetime(2027, 1, 1, 1, tzinfo=UTC)
    started = time.perf_counter()  # float-ok
    dec = service.close_period(uow_factory, Period.month("2026-12"), actor=actor, clock=clock, deps=rater.deps())
    print(f"close 2026-12: {time.perf_counter() - started:.1f} s, {dec.counts}, passed={dec.passed}")
    started = time.perf_counter()  # float-ok
    text = reports.gl_export(uow_factory, Period.month("2026-12"))
    print(f"gl export 2026-12: {time.perf_counter() - started:.1f} s, {len(text.splitlines())} rows")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
