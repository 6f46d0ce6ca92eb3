"""Benchmark: a billing run through the real path — contracts, price books, rating, usage from rollups.

N self-serve customers (the demo catalog: 8 products, 7 of them metered over 5 meters, compute split by
instance size) each with a month of hourly rollups written straight into `meter_rollups` (7 series × 720
hours = 5,040 rows a customer, what ~1 event per row would leave), then `tally bill run --issue` for the
month: every customer rated from the rollups (one read per customer and meter), taxed, numbered, stored.
Complements bench/billing.py, which isolates invoicing with precomputed quantities.

    PYTHONPATH=src python bench/billing_real.py                              # 1,000 customers, both backends
    PYTHONPATH=src python bench/billing_real.py --customers 2000 --backend postgres
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from tally.audit.model import Actor
from tally.catalog.service import apply_catalog
from tally.clock import FixedClock
from tally.contracts.service import NewCustomer, subscribe_customers
from tally.invoicing.billing_run import run_billing
from tally.invoicing.wiring import billing_deps
from tally.metering.rollup import canonical_time, key_hash
from tally.period import Period
from tally.settings import Settings
from tally.store.engine import build_engine
from tally.store.migrate import upgrade
from tally.store.uow import UnitOfWorkFactory

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MONTH = Period.month("2026-10")
ACTOR = Actor.system("bench")
SERIES = (("instance_hours", '{"region":"eu-west-1","size":"m5.large"}'),
          ("instance_hours", '{"region":"eu-west-1","size":"m5.xlarge"}'),
          ("instance_hours", '{"region":"eu-west-1","size":"r6g.2xlarge"}'),
          ("egress_gb", '{"region":"eu-west-1"}'), ("snapshot_gb_hours", '{"region":"eu-west-1"}'),
          ("ingest_gb", '{"region":"eu-west-1"}'), ("search_requests", '{"region":"eu-west-1"}'))
COLUMNS = ("rollup_key", "meter_slug", "meter_version", "customer_id", "subject", "window_start", "group_key",
           "event_count", "value_sum", "value_min", "value_max", "latest_value", "latest_time", "latest_seq")


def _rollups(engine: Engine, customers: list[str]) -> float:
    """Write every customer's month of hourly rollups; returns seconds."""
    started = time.perf_counter()
    sqlite = engine.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    sql = f"INSERT INTO meter_rollups ({', '.join(COLUMNS)}) VALUES ({', '.join([mark] * len(COLUMNS))})"
    windows = [MONTH.start + timedelta(hours=h) for h in range(720)]
    stamps: list[Any] = [canonical_time(w) if sqlite else w for w in windows]
    buffer: list[tuple[Any, ...]] = []
    seq = 0
    with engine.begin() as connection:
        for n, customer in enumerate(customers):
            subject = f"{customer}-dep"
            for s, (slug, groups) in enumerate(SERIES):
                for h in range(720):
                    seq += 1
                    value: Any = Decimal((n + s + h) % 23 + 1) / 4
                    if sqlite:
                        value = str(value)
                    key = (slug, 1, customer, subject, windows[h], groups)
                    buffer.append((key_hash(key), slug, 1, customer, subject, stamps[h], groups, 1, value, value,
                                   value, value, stamps[h], seq))
            if len(buffer) >= 50_000:
                connection.exec_driver_sql(sql, buffer)
                buffer.clear()
        if buffer:
            connection.exec_driver_sql(sql, buffer)
    return time.perf_counter() - started


def one(backend: str, customers: int) -> dict[str, object]:
    admin = None
    tmp = Path(tempfile.mkdtemp())
    if backend == "postgres":
        name = f"tally_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_SERVER.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{tmp / 'bench.db'}"
    engine = build_engine(url)
    try:
        upgrade(engine)
        uow_factory = UnitOfWorkFactory(engine)
        clock = FixedClock(MONTH.start - timedelta(days=1))
        apply_catalog(uow_factory, resources.files("tally.demo").joinpath("catalog.yaml").read_text(), actor=ACTOR,
                      clock=clock)
        ids = [f"cust-{i:06d}" for i in range(customers)]
        for i in range(0, len(ids), 1000):
            subscribe_customers(uow_factory, [NewCustomer(customer_id=c, plan_code="self-serve", start=MONTH.start,
                                                          currency="USD", name=c) for c in ids[i:i + 1000]],
                                actor=ACTOR, clock=clock)
        rollup_s = _rollups(engine, ids)
        deps = billing_deps(Settings(home=tmp, database_url=url))
        clock.current = MONTH.end + timedelta(days=1)
        started = time.perf_counter()
        report = run_billing(uow_factory, period=MONTH, deps=deps, actor=ACTOR, clock=clock, issue=True)
        duration = time.perf_counter() - started
        with engine.connect() as c:
            lines = c.execute(text("SELECT count(*) FROM invoice_lines")).scalar_one()
            rows = c.execute(text("SELECT count(*) FROM meter_rollups")).scalar_one()
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {"backend": backend, "customers": customers, "rollup_rows": rows,
                "rollups_written_s": round(rollup_s, 1), "issued": report.issued, "failed": len(report.failures),
                "invoice_lines": lines,
                "run_s": round(duration, 2), "invoices_per_s": round(report.issued / duration),
                "peak_rss_mb": round(peak_kb / 1024, 1)}
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.backend, args.customers)))
        return
    print(f"billing run bench, real path: {args.customers:,} self-serve customers, 7 metered series × 720 hourly "
          f"rollups each, rated from rollups, issue=True ({datetime.now(UTC):%Y-%m-%d})\n")
    for backend in (["sqlite", "postgres"] if args.backend == "both" else [args.backend]):
        out = subprocess.run([sys.executable, __file__, "--one", "--backend", backend, "--customers",
                              str(args.customers)], capture_output=True, text=True, check=True)
        print(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
