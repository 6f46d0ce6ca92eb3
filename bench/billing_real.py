"""Benchmark: a billing run through the real path — contracts, price books, rating, usage from rollups.

N self-serve customers (the demo catalog: 8 products, 7 of them metered over 5 meters, compute split by
instance size) each with a month of hourly rollups written straight into `meter_rollups` (7 series × 720
hours = 5,040 rows a customer, what ~1 event per row would leave), then `tally bill run --issue` for the
month: every customer rated from the rollups (one read per batch of customers and meter, whole days from the
daily rollups), taxed, numbered, stored. On PostgreSQL the month is generated inside the database (~1 minute per
1,000 customers on 2 cores); the printed `run_s` is the billing run alone.
Complements bench/billing.py, which isolates invoicing with precomputed quantities.

    PYTHONPATH=src python bench/billing_real.py                              # 1,000 customers, both backends
    PYTHONPATH=src python bench/billing_real.py --customers 2000 --backend postgres
    PYTHONPATH=src python bench/billing_real.py --customers 10000 --backend postgres  # the issue's target
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path

from sqlalchemy import text
from support import generate_month_in_postgres, throwaway_database, write_hourly_rollups

from tally.audit.model import Actor
from tally.catalog.service import apply_catalog
from tally.clock import FixedClock
from tally.contracts.service import NewCustomer, subscribe_customers
from tally.invoicing.billing_run import run_billing
from tally.invoicing.wiring import billing_deps
from tally.period import Period
from tally.settings import Settings
from tally.store.uow import UnitOfWorkFactory

MONTH = Period.month("2026-10")
ACTOR = Actor.system("bench")
SERIES = (("instance_hours", '{"region":"eu-west-1","size":"m5.large"}'),
          ("instance_hours", '{"region":"eu-west-1","size":"m5.xlarge"}'),
          ("instance_hours", '{"region":"eu-west-1","size":"r6g.2xlarge"}'),
          ("egress_gb", '{"region":"eu-west-1"}'), ("snapshot_gb_hours", '{"region":"eu-west-1"}'),
          ("ingest_gb", '{"region":"eu-west-1"}'), ("search_requests", '{"region":"eu-west-1"}'))

def one(backend: str, customers: int) -> dict[str, object]:
    tmp = Path(tempfile.mkdtemp())
    engine, url, drop = throwaway_database(backend, tmp, "bench")
    try:
        uow_factory = UnitOfWorkFactory(engine)
        clock = FixedClock(MONTH.start - timedelta(days=1))
        apply_catalog(uow_factory, resources.files("tally.demo").joinpath("catalog.yaml").read_text(), actor=ACTOR,
                      clock=clock)
        ids = [f"cust-{i:06d}" for i in range(customers)]
        for i in range(0, len(ids), 1000):
            subscribe_customers(uow_factory, [NewCustomer(customer_id=c, plan_code="self-serve", start=MONTH.start,
                                                          currency="USD", name=c) for c in ids[i:i + 1000]],
                                actor=ACTOR, clock=clock)
        started = time.perf_counter()
        if backend == "postgres":
            generate_month_in_postgres(engine, month_start=MONTH.start, customers=ids, series=SERIES,
                                       progress=lambda done: print(f"rollups: {done:,} customers", file=sys.stderr,
                                                                   flush=True))
        else:
            write_hourly_rollups(engine, month_start=MONTH.start,
                                 series=[(c, f"{c}-dep", slug, groups) for c in ids for slug, groups in SERIES],
                                 value_of=lambda index, h: Decimal((index + h) % 23 + 1) / 4)
        rollup_s = time.perf_counter() - started
        print(f"rollups written in {rollup_s:.0f} s; billing run starts", file=sys.stderr, flush=True)
        deps = billing_deps(Settings(home=tmp, database_url=url))
        clock.current = MONTH.end + timedelta(days=1)
        started = time.perf_counter()
        report = run_billing(uow_factory, period=MONTH, deps=deps, actor=ACTOR, clock=clock, issue=True)
        duration = time.perf_counter() - started
        with engine.connect() as c:
            lines = c.execute(text("SELECT count(*) FROM invoice_lines")).scalar_one()
            rows = c.execute(text("SELECT count(*) FROM meter_rollups")).scalar_one()
            billed = sum((Decimal(str(t)) for t in c.execute(text("SELECT total FROM invoices")).scalars()),
                         Decimal(0))
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {"backend": backend, "customers": customers, "rollup_rows": rows,
                "rollups_written_s": round(rollup_s, 1), "issued": report.issued, "failed": len(report.failures),
                "invoice_lines": lines, "billed_usd": str(billed),
                "run_s": round(duration, 2), "invoices_per_s": round(report.issued / duration),
                "peak_rss_mb": round(peak_kb / 1024, 1)}
    finally:
        drop()


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
                              str(args.customers)], stdout=subprocess.PIPE, text=True, check=True)
        print(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
