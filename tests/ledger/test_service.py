"""A worked month through billing and the ledger on SQLite and PostgreSQL, entries spelled out.

acme uses 10 instance-hours a day on 1–15 November (150 h; 0.10 for the first 100 h, 0.08 above).
Billing (tests.invoicing.fakes) adds a platform fee for December in advance (20.00), support for
November in arrears (5.00), 10 % off usage (−1.40), a true-up to the 50.00 minimum (37.40), and 19 % tax.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tally.audit.model import Actor, ActorKind
from tally.clock import FixedClock
from tally.invoicing import service as invoicing
from tally.invoicing.billing_run import run_billing
from tally.ledger import service
from tally.ledger.errors import PeriodAlreadyClosed, PeriodOutOfOrder, ReopenNotAllowed
from tally.ledger.model import entry_id_for
from tally.ledger.store import LedgerStore
from tally.ledger.wiring import closed_periods
from tally.period import Period
from tests.conftest import TestDatabase
from tests.invoicing.fakes import make_deps
from tests.ledger.fakes import DailyRater

D = Decimal
ACTOR = Actor.cli_user("finance")
NOV, DEC, JAN = Period.month("2026-11"), Period.month("2026-12"), Period.month("2027-01")


def rows(db: TestDatabase, source_kind: str, source_id: str) -> list[tuple[str, str, str]]:
    """An entry as (account, debit, credit) lines, in posting order."""
    with db.uow_factory() as uow:
        entry = LedgerStore(uow.connection).entry(entry_id_for(source_kind, source_id))
    assert entry is not None, f"{source_kind} {source_id} not posted"
    return [(ln.account, ln.debit.text(), ln.credit.text()) for ln in entry.lines]


def acme() -> DailyRater:
    return DailyRater(daily={"acme": {date(2026, 11, d): D(10) for d in range(1, 16)}})


def test_usage_invoice_payment_releases_and_credit_note_in_a_later_period(db: TestDatabase,
                                                                         clock: FixedClock) -> None:
    rater = acme()
    clock.current = datetime(2026, 12, 1, 0, 5, tzinfo=UTC)
    nov = service.close_period(db.uow_factory, NOV, actor=ACTOR, clock=clock, deps=rater.deps())
    # usage recognised daily: 1.00 a day while under 100 h, then 0.80 (the increment of the cumulative amount)
    assert rows(db, "usage", "acme|USD|2026-11-01") == [("unbilled_receivables", "1.00", "0.00"),
                                                        ("revenue:compute", "0.00", "1.00")]
    assert rows(db, "usage", "acme|USD|2026-11-11") == [("unbilled_receivables", "0.80", "0.00"),
                                                        ("revenue:compute", "0.00", "0.80")]
    assert nov.counts.usage_days == 15 and nov.trial_balance.balanced and nov.passed
    assert nov.trial_balance.balance("unbilled_receivables", "USD") == D("14.00")
    assert nov.trial_balance.balance("revenue:compute", "USD") == D("-14.00")
    with db.uow_factory() as uow:
        assert closed_periods().is_closed(uow, datetime(2026, 11, 30, 23, tzinfo=UTC))
        assert not closed_periods().is_closed(uow, datetime(2026, 12, 1, tzinfo=UTC))

    clock.current = datetime(2026, 12, 2, 9, tzinfo=UTC)
    deps = make_deps(rater, ["acme"])
    run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=clock, issue=True)
    invoice = invoicing.list_invoices(db.uow_factory, period=NOV)[0]
    clock.current = datetime(2026, 12, 10, tzinfo=UTC)
    invoicing.pay_invoice(db.uow_factory, invoice.invoice_id, actor=ACTOR, clock=clock)
    clock.current = datetime(2027, 1, 1, 0, 5, tzinfo=UTC)
    dec = service.close_period(db.uow_factory, DEC, actor=ACTOR, clock=clock, deps=rater.deps())
    assert dec.passed, dec.reconciliation
    assert rows(db, "invoice", invoice.invoice_id) == [
        ("accounts_receivable", "89.25", "0.00"),      # the invoice total
        ("tax_payable", "0.00", "14.25"),
        ("discounts:compute", "1.40", "0.00"),         # 10 % off the usage line it applies to
        ("revenue:compute", "0.00", "37.40"),          # true-up allocated to the usage line
        ("unbilled_receivables", "0.00", "14.00"),     # recognised usage reclassified to receivables
        ("deferred_revenue", "0.00", "20.00"),         # platform fee for December, in advance
        ("deferred_revenue", "0.00", "5.00"),          # support for November, in arrears
    ]
    assert rows(db, "payment", invoice.invoice_id) == [("cash", "89.25", "0.00"),
                                                       ("accounts_receivable", "0.00", "89.25")]
    # the December platform fee is released a day at a time: 20.00 / 31 = 16 days of 0.65, 15 of 0.64
    platform = f"sch_{invoice.invoice_id}_2"
    assert rows(db, "release", f"{platform}@2026-12-01") == [("deferred_revenue", "0.65", "0.00"),
                                                             ("revenue:subscription", "0.00", "0.65")]
    assert rows(db, "release", f"{platform}@2026-12-31") == [("deferred_revenue", "0.64", "0.00"),
                                                             ("revenue:subscription", "0.00", "0.64")]
    support = f"sch_{invoice.invoice_id}_3@catch-up@2026-12-01"  # November's support, billed in arrears
    assert rows(db, "release", support) == [("deferred_revenue", "5.00", "0.00"), ("revenue:support", "0.00", "5.00")]
    assert dec.counts.releases == 32
    tb = dec.trial_balance
    assert tb.balance("accounts_receivable", "USD") == 0 and tb.balance("unbilled_receivables", "USD") == 0
    assert tb.balance("revenue:compute", "USD") == D("-51.40") and tb.balance("discounts:compute", "USD") == D("1.40")
    assert tb.balance("deferred_revenue", "USD") == 0 and tb.balance("cash", "USD") == D("89.25")

    # January: a credit note for 4.00 of usage reverses revenue in January, not November
    clock.current = datetime(2027, 1, 5, tzinfo=UTC)
    note = invoicing.credit_invoice(db.uow_factory, invoice.invoice_id, deps=deps, reason="outage",
                                    actor=ACTOR, clock=clock, line_amounts={"usage:instance-hours": D("4.00")})
    clock.current = datetime(2027, 2, 1, 0, 5, tzinfo=UTC)
    jan = service.close_period(db.uow_factory, JAN, actor=ACTOR, clock=clock, deps=rater.deps())
    assert jan.passed, jan.reconciliation
    assert rows(db, "credit_note", note.credit_note_id) == [
        ("accounts_receivable", "0.00", "4.76"), ("tax_payable", "0.76", "0.00"), ("revenue:compute", "4.00", "0.00")]
    with db.uow_factory() as uow:
        entry = LedgerStore(uow.connection).entry(entry_id_for("credit_note", note.credit_note_id))
    assert entry is not None and entry.entry_date == date(2027, 1, 5)


def test_periods_close_in_order_once_and_reopen_is_privileged(db: TestDatabase, clock: FixedClock) -> None:
    rater = acme()
    clock.current = datetime(2027, 2, 2, tzinfo=UTC)
    service.close_period(db.uow_factory, NOV, actor=ACTOR, clock=clock, deps=rater.deps())
    with pytest.raises(PeriodAlreadyClosed):
        service.close_period(db.uow_factory, NOV, actor=ACTOR, clock=clock, deps=rater.deps())
    with pytest.raises(PeriodOutOfOrder):
        service.close_period(db.uow_factory, JAN, actor=ACTOR, clock=clock, deps=rater.deps())
    with pytest.raises(PeriodOutOfOrder, match="2026-11 is already closed"):  # never an earlier month later
        service.close_period(db.uow_factory, Period.month("2026-10"), actor=ACTOR, clock=clock, deps=rater.deps())
    viewer = Actor(kind=ActorKind.API_KEY, name="k", role="viewer")
    with pytest.raises(ReopenNotAllowed):
        service.reopen_period(db.uow_factory, NOV, reason="late usage", actor=viewer, clock=clock)
    reopened = service.reopen_period(db.uow_factory, NOV, reason="late usage", actor=ACTOR, clock=clock)
    assert reopened.reopened_by == str(ACTOR)
    with db.uow_factory() as uow:
        actions = [r.action for r in uow.audit.list(subject_type="ledger_period")]
    assert actions == ["period.reopened", "period.closed"]
    # re-closing posts nothing twice
    again = service.close_period(db.uow_factory, NOV, actor=ACTOR, clock=clock, deps=rater.deps())
    assert again.counts.entries == 0 and again.passed


def test_reversal_nets_an_entry_to_zero_and_late_items_move_to_the_next_open_period(db: TestDatabase,
                                                                                     clock: FixedClock) -> None:
    rater = acme()
    clock.current = datetime(2026, 12, 1, 0, 5, tzinfo=UTC)
    service.close_period(db.uow_factory, NOV, actor=ACTOR, clock=clock, deps=rater.deps())
    original = entry_id_for("usage", "acme|USD|2026-11-01")
    reversal = service.reverse_entry(db.uow_factory, original, reason="test", actor=ACTOR, clock=clock)
    assert reversal.reverses == original and reversal.entry_date == date(2026, 12, 1)
    assert rows(db, "reversal", original) == [("unbilled_receivables", "0.00", "1.00"),
                                              ("revenue:compute", "1.00", "0.00")]
    clock.current = datetime(2026, 11, 20, tzinfo=UTC)  # a reversal asked for with a date in closed November
    late = service.reverse_entry(db.uow_factory, entry_id_for("usage", "acme|USD|2026-11-02"), reason="late",
                                 actor=ACTOR, clock=clock)
    assert late.entry_date == date(2026, 12, 1) and late.reference is not None and "2026-11-20" in late.reference


def test_a_period_closes_only_after_it_ends(db: TestDatabase, clock: FixedClock) -> None:
    from tally.ledger.errors import PeriodNotEnded

    with pytest.raises(PeriodNotEnded):  # the fixture clock is 2026-11-15
        service.close_period(db.uow_factory, NOV, actor=ACTOR, clock=clock, deps=acme().deps())


def test_reconcile_names_the_difference_when_usage_arrives_after_the_close(db: TestDatabase,
                                                                          clock: FixedClock) -> None:
    rater = acme()
    clock.current = datetime(2026, 12, 1, 0, 5, tzinfo=UTC)
    service.close_period(db.uow_factory, NOV, actor=ACTOR, clock=clock, deps=rater.deps())
    rater.daily["acme"][date(2026, 11, 20)] = D(10)  # late usage: 10 h more at 0.08
    checks = {c.name: c for c in service.reconcile(db.uow_factory, NOV, deps=rater.deps(), clock=clock)}
    usage = checks["recognised usage revenue = rated usage"]
    assert not usage.passed
    assert usage.detail == "USD expected 14.80 actual 14.00 difference -0.80"
    assert checks["trial balance balances per currency"].passed
