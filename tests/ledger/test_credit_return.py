"""A voided invoice gives its prepaid credit back in contracts, and the ledger's prepaid-credit liability
follows: through the real services (demo catalog, contracts, rating, billing, void, period close)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tally.audit.model import Actor
from tally.catalog.service import apply_catalog
from tally.clock import FixedClock
from tally.contracts import service as contracts_service
from tally.invoicing import service as invoicing
from tally.invoicing.billing_run import run_billing
from tally.invoicing.errors import CorrectionMovesCredit
from tally.ledger import service
from tally.ledger.model import PREPAID
from tally.money import Money
from tally.period import Period
from tally.rating.model import CreditDrawdown
from tests.conftest import TestDatabase
from tests.invoicing.fakes import make_deps
from tests.ledger.fakes import DailyUsage, RealRater

D = Decimal
DEMO = (Path(__file__).parents[2] / "src" / "tally" / "demo" / "catalog.yaml").read_text()
ACTOR = Actor.cli_user("finance")
NOV, DEC = Period.month("2026-11"), Period.month("2026-12")


def _prepaid_left(db: TestDatabase, at: datetime) -> Decimal:
    with db.uow_factory() as uow:
        balances = contracts_service.credit_balances(uow, customer_id="cust-ent-001", as_of=at)
    return next(b.remaining for b in balances if b.credit_id == "prepaid-2026")


def test_voiding_returns_the_credit_and_the_ledger_liability_agrees(db: TestDatabase, clock: FixedClock) -> None:
    apply_catalog(db.uow_factory, DEMO, actor=ACTOR, clock=clock)
    rater = RealRater(DailyUsage().add("cust-ent-001", "ingest_gb", "100", range(1, 21))
                      .add("cust-ent-001", "instance_hours", "30", range(1, 31), size="m5.large"))
    clock.current = datetime(2026, 12, 1, 0, 5, tzinfo=UTC)
    nov = service.close_period(db.uow_factory, NOV, actor=ACTOR, clock=clock, deps=rater.deps())
    assert nov.passed, nov.reconciliation
    assert nov.trial_balance.balance(PREPAID, "USD") == D("-10000.00")  # the whole grant is owed

    clock.current = datetime(2026, 12, 2, 9, tzinfo=UTC)
    deps = dataclasses.replace(make_deps(), rater=rater, customers=contracts_service, credits=contracts_service)
    billing = run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=clock, issue=True)
    assert billing.ok
    invoice = next(i for i in invoicing.list_invoices(db.uow_factory, period=NOV) if i.customer_id == "cust-ent-001")
    drawn = sum((c.amount.amount for c in invoice.credit_balances if c.credit_id == "prepaid-2026"), D(0))
    assert drawn > 0
    assert _prepaid_left(db, clock.now()) == D("10000.00") - drawn

    clock.current = datetime(2026, 12, 3, 9, tzinfo=UTC)
    voided = invoicing.void_invoice(db.uow_factory, invoice.invoice_id, deps=deps, reason="billed in error",
                                    actor=ACTOR, clock=clock)
    assert voided.credit_note is not None  # the note reverses every line, the credit-applied one included
    assert voided.credit_note.totals == invoice.totals
    assert invoice.totals.subtotal.is_zero()  # paid entirely by prepaid credit: the note nets to zero
    assert _prepaid_left(db, clock.now()) == D("10000.00")
    with db.uow_factory() as uow:
        assert contracts_service.restore_credit_drawdowns(uow, invoice_id=invoice.invoice_id,
                                                          credit_note_id=voided.credit_note.credit_note_id,
                                                          at=clock.now()) == 0

    clock.current = datetime(2027, 1, 1, 0, 5, tzinfo=UTC)
    dec = service.close_period(db.uow_factory, DEC, actor=ACTOR, clock=clock, deps=rater.deps())
    assert dec.passed, [c for c in dec.reconciliation if not c.passed]
    assert dec.trial_balance.balanced
    # contracts and the ledger agree: the prepaid liability is the money credit left
    assert dec.trial_balance.balance(PREPAID, "USD") == -_prepaid_left(db, datetime(2026, 12, 31, tzinfo=UTC))


def test_a_correction_that_would_move_a_credit_is_refused(db: TestDatabase, clock: FixedClock) -> None:
    """Re-rating counts the invoice's own drawdown as used: with the credit nearly spent, the re-rate
    applies less credit and a correction would bill the used credit again. It is refused; a full
    credit note returns the credit instead."""
    apply_catalog(db.uow_factory, DEMO, actor=ACTOR, clock=clock)
    rater = RealRater(DailyUsage().add("cust-ent-001", "ingest_gb", "100", range(1, 21)))
    with db.uow_factory() as uow:  # an earlier invoice already drew 6,000 of the 10,000
        contracts_service.record_credit_drawdowns(
            uow, invoice_id="inv-earlier", at=datetime(2026, 11, 2, tzinfo=UTC),
            drawdowns=[CreditDrawdown(credit_id="prepaid-2026", amount=Money.of("6000.00", "USD"),
                                      remaining=Money.of("4000.00", "USD"), customer_id="cust-ent-001",
                                      line_key="credit:prepaid-2026")])
        uow.commit()
    clock.current = datetime(2026, 12, 2, 9, tzinfo=UTC)
    deps = dataclasses.replace(make_deps(), rater=rater, customers=contracts_service, credits=contracts_service)
    run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=clock, issue=True)
    invoice = next(i for i in invoicing.list_invoices(db.uow_factory, period=NOV) if i.customer_id == "cust-ent-001")
    assert _prepaid_left(db, clock.now()) == 0
    clock.current = datetime(2026, 12, 3, 9, tzinfo=UTC)
    rerated = invoicing.rerate_invoice(db.uow_factory, invoice.invoice_id, deps=deps, clock=clock)
    assert [(d.line_key, d.amount_delta.text()) for d in rerated.differences] == [("credit:prepaid-2026", "4000.00")]
    with pytest.raises(CorrectionMovesCredit):
        invoicing.issue_correction(db.uow_factory, invoice.invoice_id, deps=deps, reason="late usage", actor=ACTOR,
                                   clock=clock)
    assert invoicing.list_credit_notes(db.uow_factory, invoice=invoice.number) == ()
    invoicing.credit_invoice(db.uow_factory, invoice.invoice_id, deps=deps, reason="re-bill", actor=ACTOR,
                             clock=clock)
    assert _prepaid_left(db, clock.now()) == D("4000.00")


def test_a_credit_returned_after_its_breakage_was_posted_is_broken_too(db: TestDatabase, clock: FixedClock) -> None:
    apply_catalog(db.uow_factory, DEMO, actor=ACTOR, clock=clock)
    rater = RealRater(DailyUsage().add("cust-ent-001", "ingest_gb", "100", range(1, 21)))
    clock.current = datetime(2026, 12, 2, 9, tzinfo=UTC)
    deps = dataclasses.replace(make_deps(), rater=rater, customers=contracts_service, credits=contracts_service)
    run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=clock, issue=True)
    invoice = next(i for i in invoicing.list_invoices(db.uow_factory, period=NOV) if i.customer_id == "cust-ent-001")
    for month in ("2026-11", "2026-12", "2027-01"):  # prepaid-2026 expires on 2027-01-01: breakage in January
        period = Period.month(month)
        clock.current = period.end + timedelta(minutes=5)
        assert service.close_period(db.uow_factory, period, actor=ACTOR, clock=clock, deps=rater.deps()).passed
    clock.current = datetime(2027, 2, 3, tzinfo=UTC)
    invoicing.void_invoice(db.uow_factory, invoice.invoice_id, deps=deps, reason="billed in error", actor=ACTOR,
                           clock=clock)
    with db.uow_factory() as uow:  # contracts: the returned credit is expired, so all of it is breakage
        report = {b.credit_id: b.remaining for b in contracts_service.breakage_report(uow, as_of=clock.now())
                  if b.customer_id == "cust-ent-001"}
    assert report["prepaid-2026"] == D("10000.00")
    clock.current = datetime(2027, 3, 1, 0, 5, tzinfo=UTC)
    feb = service.close_period(db.uow_factory, Period.month("2027-02"), actor=ACTOR, clock=clock, deps=rater.deps())
    assert feb.trial_balance.balance(PREPAID, "USD") == 0  # the returned draw broke too: a second breakage entry
