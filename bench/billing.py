"""Benchmark: a billing run (issue=True) over N customers × 10 products with a month of hourly usage.

This isolates invoicing: a fast fake `Rater` whose quantities are precomputed in closed form from a
month of hourly values (720 per customer and product); it reads no rollups. What is measured is
building, taxing, numbering, storing and auditing invoices, in batches, on SQLite and PostgreSQL. The
real path (rating from metering's rollups) is measured by `tally demo` (300 customers from the rollups of
1,000,000 events, seconds per stage in its summary) and `bench/metering.py` (usage reads p50/p99).
Each configuration runs in its own process so that its peak RSS (resource.getrusage) is its own.

    PYTHONPATH=src python bench/billing.py                      # 2,000 and 10,000 on both backends
    PYTHONPATH=src python bench/billing.py --backend postgres --customers 10000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text
from support import throwaway_database

from tally.audit.model import Actor
from tally.clock import FixedClock
from tally.invoicing.billing_run import run_billing
from tally.invoicing.config import BillingConfig
from tally.invoicing.wiring import BillingDeps
from tally.money import Money, Rounding, currency, round_to_minor
from tally.period import Period
from tally.rating.model import LineKind, RatedLine, RatingInputs, RatingResult, RatingStep
from tally.store.uow import UnitOfWork, UnitOfWorkFactory

PERIOD = Period.month("2026-11")
HOURS = 720
PRODUCTS = tuple(f"product-{i:02d}" for i in range(10))
USD = currency("USD")
PRICE = Decimal("0.0125")


class PrecomputedRater:
    """Quantities of a month of hourly values h(t) = base + (t mod 24) × step, summed in closed form."""

    def rate_customers(self, uow: UnitOfWork, *, customer_ids: Sequence[str], period: Period,
                       as_of: datetime) -> PrecomputedRatings:
        return PrecomputedRatings(self, uow, period, as_of)

    def rate_customer(self, uow: UnitOfWork, *, customer_id: str, period: Period, as_of: datetime) -> RatingResult:
        seed = int(customer_id[1:])
        lines = []
        for index, product in enumerate(PRODUCTS):
            base, step = Decimal((seed + index) % 7 + 1), Decimal(index % 3)
            quantity = base * HOURS + step * (HOURS // 24) * sum(range(24))
            amount = round_to_minor(quantity * PRICE, USD, rounding=Rounding.HALF_EVEN)
            lines.append(RatedLine(
                line_key=f"usage:{product}", kind=LineKind.USAGE, customer_id=customer_id, product_code=product,
                description=f"{product} usage", service_period=period, quantity=quantity, unit="unit",
                unit_price=PRICE, amount=Money(amount, USD),
                explanation=(RatingStep(description="per unit", quantity=quantity, unit_price=PRICE,
                                        amount=quantity * PRICE),),
                price_version_id=f"pv-{product}", revenue_category="usage"))
        return RatingResult(customer_id=customer_id, currency=USD, billing_period=period, lines=tuple(lines),
                            inputs=RatingInputs(contract_version_id=f"cv-{customer_id}", price_book_version_id="pb-1",
                                                usage_digest=f"u-{seed}", engine_version="bench-fake"))

    def rate_customer_from_events(self, uow: UnitOfWork, *, customer_id: str, period: Period,
                                  as_of: datetime) -> RatingResult:
        return self.rate_customer(uow, customer_id=customer_id, period=period, as_of=as_of)


@dataclass
class PrecomputedRatings:
    rater: PrecomputedRater
    uow: UnitOfWork
    period: Period
    as_of: datetime

    def rate(self, customer_id: str) -> RatingResult:
        return self.rater.rate_customer(self.uow, customer_id=customer_id, period=self.period, as_of=self.as_of)


class Customers:
    def __init__(self, n: int) -> None:
        self.n = n

    def billable_customers(self, uow: UnitOfWork, *, period: Period) -> tuple[str, ...]:
        return tuple(f"c{i:06d}" for i in range(self.n))


class NoCredits:
    def record_credit_drawdowns(self, uow: UnitOfWork, *, invoice_id: str, drawdowns: object, at: datetime) -> None:
        return None


def one(backend: str, customers: int) -> dict[str, object]:
    engine, _url, drop = throwaway_database(backend, Path(tempfile.mkdtemp()), "bench")
    try:
        config = BillingConfig(tax_rates={"DE": Decimal("0.19")}, default_jurisdiction="DE")
        deps = BillingDeps(rater=PrecomputedRater(), customers=Customers(customers), credits=NoCredits(),
                           config=config, tax=config.tax_calculator())
        clock = FixedClock(datetime(2026, 12, 1, 6, tzinfo=UTC))
        started = time.perf_counter()
        report = run_billing(UnitOfWorkFactory(engine), period=PERIOD, deps=deps, actor=Actor.system("bench"),
                             clock=clock, issue=True, batch_size=500)
        duration = time.perf_counter() - started
        rerun_started = time.perf_counter()
        rerun = run_billing(UnitOfWorkFactory(engine), period=PERIOD, deps=deps, actor=Actor.system("bench"),
                            clock=clock, issue=True, batch_size=500)
        rerun_s = time.perf_counter() - rerun_started
        with engine.connect() as c:
            lines = c.execute(text("SELECT count(*) FROM invoice_lines")).scalar_one()
            last = c.execute(text("SELECT last_value FROM document_counters")).scalar_one()
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {"backend": backend, "customers": customers, "issued": report.issued, "failed": len(report.failures),
                "invoice_lines": lines, "last_number": last, "run_s": round(duration, 2),
                "invoices_per_s": round(report.issued / duration), "rerun_issued": rerun.issued,
                "rerun_s": round(rerun_s, 2), "peak_rss_mb": round(peak_kb / 1024, 1)}
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--customers", type=int, nargs="*", default=[2000, 10000])
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.backend, args.customers[0])))
        return
    print("billing run bench: fake Rater with precomputed quantities (isolates invoicing; see the docstring);")
    print(f"{len(PRODUCTS)} products per customer, {HOURS} hourly values each, tax per line, issue=True\n")
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        for n in args.customers:
            out = subprocess.run([sys.executable, __file__, "--one", "--backend", backend, "--customers", str(n)],
                                 check=True, capture_output=True, text=True)
            print(json.loads(out.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
