"""Done-when: a month through the real services — demo catalog, contracts, rating with injected usage,
billing, issue, close — where the trial balance balances, the roll-forward ties out and every
reconciliation check passes, with the interesting entries spelled out."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from tally.audit.model import Actor
from tally.catalog.service import apply_catalog
from tally.clock import FixedClock
from tally.contracts import service as contracts_service
from tally.contracts.service import NewCustomer, subscribe_customers
from tally.invoicing import service as invoicing
from tally.invoicing.billing_run import run_billing
from tally.ledger import reports, service
from tally.ledger.model import entry_id_for
from tally.ledger.store import LedgerStore
from tally.period import Period
from tests.conftest import TestDatabase
from tests.invoicing.fakes import make_deps
from tests.ledger.fakes import DailyUsage, RealRater

D = Decimal
DEMO = (Path(__file__).parents[2] / "src" / "tally" / "demo" / "catalog.yaml").read_text()
ACTOR = Actor.cli_user("finance")
NOV, DEC = Period.month("2026-11"), Period.month("2026-12")


def entry(db: TestDatabase, source_kind: str, source_id: str) -> list[tuple[str, str, str]]:
    with db.uow_factory() as uow:
        found = LedgerStore(uow.connection).entry(entry_id_for(source_kind, source_id))
    assert found is not None, (source_kind, source_id)
    return [(ln.account, ln.debit.text(), ln.credit.text()) for ln in found.lines]


def test_demo_month_through_the_real_services(db: TestDatabase, clock: FixedClock) -> None:
    apply_catalog(db.uow_factory, DEMO, actor=ACTOR, clock=clock)
    subscribe_customers(db.uow_factory, [NewCustomer(customer_id="cust-0001", plan_code="self-serve",
                                                     start=datetime(2026, 10, 1, tzinfo=UTC))],
                        actor=ACTOR, clock=clock)
    usage = (DailyUsage()
             .add("cust-0001", "instance_hours", "24", range(1, 31), size="m5.large")   # 720 h × 0.096 = 69.12
             .add("cust-0001", "egress_gb", "10", range(1, 31))                        # 100 free, 200 × 0.09
             .add("cust-ent-001", "ingest_gb", "100", range(1, 21)))                   # tiers 0.40 to 1000, 0.20
    rater = RealRater(usage)

    clock.current = datetime(2026, 12, 1, 0, 5, tzinfo=UTC)
    nov = service.close_period(db.uow_factory, NOV, actor=ACTOR, clock=clock, deps=rater.deps())
    assert nov.passed, nov.reconciliation
    # graduated tiers: the day's revenue is the increment of the cumulative month-to-date amount
    assert entry(db, "usage", "cust-ent-001|USD|2026-11-10") == [("unbilled_receivables", "40.00", "0.00"),
                                                                  ("revenue:observability", "0.00", "40.00")]
    assert entry(db, "usage", "cust-ent-001|USD|2026-11-11") == [("unbilled_receivables", "20.00", "0.00"),
                                                                  ("revenue:observability", "0.00", "20.00")]
    # egress: the first 100 GB are free, so nothing is earned before day 11
    assert entry(db, "usage", "cust-0001|USD|2026-11-11")[-1] == ("revenue:network", "0.00", "0.90")
    # a prepaid credit bought in June and expired unused on 1 October is breakage
    assert entry(db, "credit_grant", "cust-ent-002|migration-credit") == [("cash", "500.00", "0.00"),
                                                                          ("prepaid_credits", "0.00", "500.00")]
    assert entry(db, "breakage", "cust-ent-002|migration-credit") == [("prepaid_credits", "500.00", "0.00"),
                                                                      ("breakage_revenue", "0.00", "500.00")]
    tb = nov.trial_balance
    assert tb.balanced and set(tb.totals) == {"USD", "EUR"}
    rated = D("69.12") + D("18.00") + D("600.00")
    assert tb.balance("unbilled_receivables", "USD") == rated

    clock.current = datetime(2026, 12, 2, 9, tzinfo=UTC)
    deps = dataclasses.replace(make_deps(), rater=rater, customers=contracts_service, credits=contracts_service)
    billing = run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=clock, issue=True)
    assert billing.ok and billing.issued == 3
    clock.current = datetime(2027, 1, 1, 0, 5, tzinfo=UTC)
    dec = service.close_period(db.uow_factory, DEC, actor=ACTOR, clock=clock, deps=rater.deps())
    assert dec.passed, [c for c in dec.reconciliation if not c.passed]
    assert {c.name for c in dec.reconciliation} >= {"invoiced amounts = AR debits",
                                                     "recognised usage revenue = rated usage",
                                                     "deferred revenue closing = unreleased schedules",
                                                     "deferred revenue roll-forward ties out"}
    tb = dec.trial_balance
    assert tb.balanced
    assert tb.balance("unbilled_receivables", "USD") == 0  # every November usage amount is now invoiced
    invoiced = sum((i.totals.total.amount for i in invoicing.list_invoices(db.uow_factory, period=NOV)
                    if i.currency.code == "USD"), D(0))
    assert tb.balance("accounts_receivable", "USD") == invoiced
    rollforward = reports.deferred_rollforward(db.uow_factory, DEC)
    assert rollforward and all(r.ties_out for r in rollforward)
    # the self-serve platform fee for December (49.00, billed in advance) is released in December
    waterfall = reports.waterfall(db.uow_factory, DEC)
    assert all(r.month > "2026-12" for r in waterfall)
    assert reports.gl_export(db.uow_factory, DEC).count("CONTROL") == len(tb.totals)
    assert date(2026, 12, 31) >= max(line.entry_date for line in reports.entries(db.uow_factory, DEC, limit=10000))


def test_the_fast_month_to_date_path_equals_rating_every_day(db: TestDatabase, clock: FixedClock) -> None:
    apply_catalog(db.uow_factory, DEMO, actor=ACTOR, clock=clock)
    usage = (DailyUsage().add("cust-ent-001", "ingest_gb", "37.5", range(3, 29))
             .add("cust-ent-001", "instance_hours", "30", range(1, 31), size="m5.large")
             .add("cust-ent-002", "instance_hours", "75", range(10, 25), size="r6g.2xlarge"))
    rater = RealRater(usage)
    with db.uow_factory() as uow:
        fast = service.recognise_usage(uow, NOV, deps=rater.deps(), as_of=datetime(2026, 12, 1, tzinfo=UTC))
        slow = service.recognise_usage(uow, NOV, deps=rater.slow_deps(), as_of=datetime(2026, 12, 1, tzinfo=UTC))
    assert fast.entries == slow.entries and len(fast.entries) > 40
    assert fast.rated_usage == slow.rated_usage
