"""Billing runs, issuing, paying, voiding, corrections and verification on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from tally.audit.model import Actor
from tally.clock import FixedClock
from tally.invoicing import service
from tally.invoicing.billing_run import run_billing
from tally.invoicing.errors import (
    CreditExceedsRemaining,
    IllegalTransition,
    NothingToCorrect,
    PeriodNotEnded,
)
from tally.invoicing.model import DocumentKind, InvoiceKind, InvoiceStatus
from tally.money import Money
from tally.period import Period
from tests.conftest import TestDatabase
from tests.invoicing.fakes import DEC_2, NOV, OCT, FakeRater, RecordingCredits, make_deps

D = Decimal
ACTOR = Actor.cli_user("test")


@pytest.fixture
def dec_clock(clock: FixedClock) -> FixedClock:
    clock.current = DEC_2
    return clock


def test_run_drafts_then_issues_without_ever_billing_twice(db: TestDatabase, dec_clock: FixedClock) -> None:
    rater = FakeRater(usage={"acme": D(150), "globex": D(10), "initech": D(0)})
    deps = make_deps(rater, ["acme", "globex", "initech"])
    first = run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock)
    assert first.ok and first.counts["drafted"] == 3 and first.issued == 0
    again = run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock)
    assert again.counts["unchanged"] == 3 and again.counts["drafted"] == 0
    issued = run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True)
    assert issued.issued == 3
    numbers = sorted(i.number or "" for i in service.list_invoices(db.uow_factory, period=NOV))
    assert numbers == ["TLY-2026-000001", "TLY-2026-000002", "TLY-2026-000003"]
    rerun = run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True)
    assert rerun.counts["unchanged"] == 3 and rerun.issued == 0
    assert len(service.list_invoices(db.uow_factory, period=NOV)) == 3


def test_worked_example_tax_per_line_totals_and_due_date(db: TestDatabase, dec_clock: FixedClock) -> None:
    deps = make_deps(FakeRater(usage={"acme": D(150)}), ["acme"])
    run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True)
    invoice = service.get_invoice(db.uow_factory, "TLY-2026-000001")
    by_key = {line.line_key: line for line in invoice.lines}
    assert by_key["usage:instance-hours"].amount == Money.of("14.00", "USD")
    assert by_key["usage:instance-hours"].tax.amount == Money.of("2.66", "USD")
    assert by_key["discount:usage-10"].amount == Money.of("-1.40", "USD")
    assert by_key["discount:usage-10"].tax.amount == Money.of("-0.27", "USD")  # -0.266 half-even
    assert by_key["commitment:true-up"].amount == Money.of("37.40", "USD")
    assert by_key["commitment:true-up"].tax.amount == Money.of("7.11", "USD")
    assert by_key["fee:platform"].service_period == Period.month("2026-12")  # in advance
    assert invoice.totals.subtotal == Money.of("75.00", "USD")
    assert invoice.totals.tax_total == Money.of("14.25", "USD")
    assert invoice.totals.total == Money.of("89.25", "USD")
    assert invoice.due_on == date(2026, 12, 16)  # acme: net 14
    assert invoice.status is InvoiceStatus.ISSUED and invoice.issued_at == DEC_2


def test_period_must_have_ended(db: TestDatabase, clock: FixedClock) -> None:
    with pytest.raises(PeriodNotEnded):
        run_billing(db.uow_factory, period=NOV, deps=make_deps(customers=["acme"]), actor=ACTOR, clock=clock)


def test_a_failing_customer_is_recorded_and_the_run_goes_on(db: TestDatabase, dec_clock: FixedClock) -> None:
    rater = FakeRater(usage={"acme": D(1), "globex": D(2)}, fail_for={"broken"})
    deps = make_deps(rater, ["acme", "broken", "globex"])
    report = run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True,
                         batch_size=2)
    assert not report.ok and [f.customer_id for f in report.failures] == ["broken"]
    assert report.failures[0].code == "unexpected_error" and report.issued == 2
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT customer_id, code FROM billing_run_failures")).all()
    assert [tuple(r) for r in rows] == [("broken", "unexpected_error")]


def test_dry_run_writes_nothing_and_limit_to_customers(db: TestDatabase, dec_clock: FixedClock) -> None:
    deps = make_deps(FakeRater(usage={"acme": D(1), "globex": D(2)}), ["acme", "globex"])
    report = run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, dry_run=True,
                         issue=True)
    assert report.run_id is None and report.issued == 2
    assert service.list_invoices(db.uow_factory, period=NOV) == ()
    only = run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, customers=["globex"])
    assert only.customers_seen == 1
    assert [i.customer_id for i in service.list_invoices(db.uow_factory, period=NOV)] == ["globex"]


def test_drafts_follow_late_usage_and_issue_recomputes(db: TestDatabase, dec_clock: FixedClock) -> None:
    rater = FakeRater(usage={"acme": D(600)})
    deps = make_deps(rater, ["acme"])
    run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock)
    draft = service.list_invoices(db.uow_factory, period=NOV)[0]
    rater.usage["acme"] = D(700)
    report = run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock)
    assert report.counts["recomputed"] == 1
    rater.usage["acme"] = D(800)
    issued = service.issue_invoice(db.uow_factory, draft.invoice_id, deps=deps, actor=ACTOR, clock=dec_clock)
    assert issued.lines[0].quantity == D(800) and issued.number == "TLY-2026-000001"
    with pytest.raises(IllegalTransition):
        service.issue_invoice(db.uow_factory, draft.invoice_id, deps=deps, actor=ACTOR, clock=dec_clock)


def test_issued_lines_and_amounts_are_immutable_in_the_database(db: TestDatabase, dec_clock: FixedClock) -> None:
    deps = make_deps(FakeRater(usage={"acme": D(5)}), ["acme"])
    run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True)
    for statement in ("UPDATE invoice_lines SET description = 'x'",
                      "DELETE FROM invoice_lines",
                      "UPDATE invoices SET total = '0'",
                      "DELETE FROM invoices"):
        with db.engine.connect() as connection, pytest.raises(Exception, match=r"immutable|never deleted"):
            connection.execute(text(statement))
            connection.commit()


def test_pay_and_void_and_illegal_moves(db: TestDatabase, dec_clock: FixedClock) -> None:
    deps = make_deps(FakeRater(usage={"acme": D(150), "globex": D(3)}), ["acme", "globex"])
    run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True)
    paid = service.pay_invoice(db.uow_factory, "TLY-2026-000001", actor=ACTOR, clock=dec_clock)
    assert paid.status is InvoiceStatus.PAID
    with pytest.raises(IllegalTransition):
        service.void_invoice(db.uow_factory, "TLY-2026-000001", deps=deps, reason="x", actor=ACTOR, clock=dec_clock)
    voided = service.void_invoice(db.uow_factory, "TLY-2026-000002", deps=deps, reason="duplicate order",
                                  actor=ACTOR, clock=dec_clock)
    assert voided.invoice.status is InvoiceStatus.VOID and voided.invoice.number == "TLY-2026-000002"
    assert voided.credit_note is not None and voided.credit_note.number == "TLY-CN-2026-000001"
    assert voided.credit_note.totals.total == voided.invoice.totals.total
    with pytest.raises(IllegalTransition):
        service.pay_invoice(db.uow_factory, "TLY-2026-000002", actor=ACTOR, clock=dec_clock)
    with pytest.raises(IllegalTransition):
        service.credit_invoice(db.uow_factory, "TLY-2026-000002", deps=deps, reason="again", actor=ACTOR,
                               clock=dec_clock)


def test_late_usage_after_issue_gives_an_adjustment_and_less_gives_a_credit_note(
        db: TestDatabase, dec_clock: FixedClock) -> None:
    rater = FakeRater(usage={"acme": D(1000)})
    deps = make_deps(rater, ["acme"])
    run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True)
    original = service.get_invoice(db.uow_factory, "TLY-2026-000001")
    rater.usage["acme"] = D(1050)  # late events: 50 more hours at 0.08 = 4.00, discount -0.40
    rerate = service.rerate_invoice(db.uow_factory, "TLY-2026-000001", deps=deps, clock=dec_clock)
    assert rerate.net_delta == Money.of("3.60", "USD")
    assert {d.line_key for d in rerate.differences} == {"usage:instance-hours", "discount:usage-10"}
    fixed = service.issue_correction(db.uow_factory, "TLY-2026-000001", deps=deps, reason="late usage",
                                     actor=ACTOR, clock=dec_clock)
    assert fixed.adjustment is not None and fixed.adjustment.kind is InvoiceKind.ADJUSTMENT
    assert fixed.adjustment.number == "TLY-2026-000002" and fixed.adjustment.corrects == original.invoice_id
    assert fixed.adjustment.totals.subtotal == Money.of("3.60", "USD") and fixed.credit_note is None
    assert [ln.amount for ln in fixed.adjustment.lines] == [Money.of("4.00", "USD"), Money.of("-0.40", "USD")]
    assert service.get_invoice(db.uow_factory, "TLY-2026-000001") == original  # never edited
    with pytest.raises(NothingToCorrect):
        service.issue_correction(db.uow_factory, "TLY-2026-000001", deps=deps, reason="again", actor=ACTOR,
                                 clock=dec_clock)
    rater.usage["acme"] = D(900)  # a usage correction downwards: 150 hours less than now billed
    down = service.issue_correction(db.uow_factory, "TLY-2026-000001", deps=deps, reason="dedup fix",
                                    actor=ACTOR, clock=dec_clock)
    assert down.adjustment is None and down.credit_note is not None
    assert down.credit_note.totals.subtotal == Money.of("10.80", "USD")  # 150 × 0.08 less 10 %
    assert down.credit_note.number == "TLY-CN-2026-000001"


def test_partial_credit_note_and_limits(db: TestDatabase, dec_clock: FixedClock) -> None:
    deps = make_deps(FakeRater(usage={"acme": D(150)}), ["acme"])
    run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True)
    note = service.credit_invoice(db.uow_factory, "TLY-2026-000001", deps=deps, reason="goodwill", actor=ACTOR,
                                  clock=dec_clock, line_amounts={"fee:platform": D("10.00")})
    assert note.totals.subtotal == Money.of("10.00", "USD") and note.totals.tax_total == Money.of("1.90", "USD")
    with pytest.raises(CreditExceedsRemaining):
        service.credit_invoice(db.uow_factory, "TLY-2026-000001", deps=deps, reason="too much", actor=ACTOR,
                               clock=dec_clock, line_amounts={"fee:platform": D("10.01")})
    notes = service.list_credit_notes(db.uow_factory, invoice="TLY-2026-000001")
    assert [n.number for n in notes] == ["TLY-CN-2026-000001"]


def test_verify_recomputes_from_events(db: TestDatabase, dec_clock: FixedClock) -> None:
    rater = FakeRater(usage={"acme": D(150), "globex": D(7)})
    deps = make_deps(rater, ["acme", "globex"])
    run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True)
    assert all(v.matches for v in service.verify_all(db.uow_factory, deps=deps, period=NOV))
    rater.event_usage["acme"] = D(151)  # the rollups were wrong by one hour
    result = service.verify_invoice(db.uow_factory, "TLY-2026-000001", deps=deps)
    assert not result.matches
    usage = next(d for d in result.differences if d.line_key == "usage:instance-hours")
    assert (usage.billed_quantity, usage.recomputed_quantity) == (D(150), D(151))
    assert usage.amount_delta == Money.of("0.08", "USD")


def test_credits_are_drawn_only_when_issued(db: TestDatabase, dec_clock: FixedClock) -> None:
    credits = RecordingCredits()
    deps = make_deps(FakeRater(usage={"acme": D(150)}, credit={"acme": D(30)}), ["acme"], credits=credits)
    run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock)
    assert credits.recorded == []
    run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True)
    [(invoice_id, drawdowns)] = credits.recorded
    assert drawdowns[0].amount == Money.of("30.00", "USD") and drawdowns[0].remaining == Money.of("0.00", "USD")
    invoice = service.get_invoice(db.uow_factory, invoice_id)
    credit_line = next(line for line in invoice.lines if line.line_key == "credit:prepaid")
    assert credit_line.tax.amount.is_zero()  # credits are a means of payment: untaxed
    assert invoice.totals.subtotal == Money.of("45.00", "USD") and invoice.credit_balances == drawdowns


def test_issued_documents_for_the_ledger(db: TestDatabase, dec_clock: FixedClock) -> None:
    rater = FakeRater(usage={"acme": D(1000)})
    deps = make_deps(rater, ["acme", "globex"])
    run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True)
    rater.usage["acme"] = D(900)
    service.issue_correction(db.uow_factory, "TLY-2026-000001", deps=deps, reason="fix", actor=ACTOR,
                             clock=dec_clock)
    with db.uow_factory() as uow:
        documents = service.issued_documents(uow, issued_in=Period.month("2026-12"))
        assert service.issued_documents(uow, issued_in=OCT) == ()
    kinds = [(d.kind, d.number) for d in documents]
    assert (DocumentKind.CREDIT_NOTE, "TLY-CN-2026-000001") in kinds
    assert (DocumentKind.INVOICE, "TLY-2026-000001") in kinds
    note = next(d for d in documents if d.kind is DocumentKind.CREDIT_NOTE)
    invoice = next(d for d in documents if d.number == "TLY-2026-000001")
    assert note.corrects == invoice.document_id
    assert sum((line.amount.amount for line in note.lines), D(0)) == note.subtotal.amount
    assert {line.revenue_category for line in invoice.lines} >= {"compute", "subscription", "support"}


def test_upcoming_invoice_is_the_month_so_far(db: TestDatabase, clock: FixedClock) -> None:
    deps = make_deps(FakeRater(usage={"acme": D(40)}), ["acme"])
    upcoming = service.upcoming_invoice(db.uow_factory, "acme", deps=deps, clock=clock)
    assert upcoming.billing_period == NOV and upcoming.status is InvoiceStatus.DRAFT
    assert service.list_invoices(db.uow_factory) == ()


def test_metrics_count_issued_invoices(db: TestDatabase, dec_clock: FixedClock) -> None:
    from tally.observability.metrics import REGISTRY

    before = REGISTRY.get_sample_value("tally_invoices_issued_total") or 0.0
    deps = make_deps(FakeRater(usage={"acme": D(1)}), ["acme"])
    run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True)
    assert REGISTRY.get_sample_value("tally_invoices_issued_total") == before + 1
    assert (REGISTRY.get_sample_value("tally_billing_run_duration_seconds_count") or 0) >= 1


def test_every_state_change_is_audited(db: TestDatabase, dec_clock: FixedClock) -> None:
    deps = make_deps(FakeRater(usage={"acme": D(150)}), ["acme"])
    run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock)
    draft = service.list_invoices(db.uow_factory)[0]
    service.issue_invoice(db.uow_factory, draft.invoice_id, deps=deps, actor=ACTOR, clock=dec_clock)
    service.void_invoice(db.uow_factory, draft.invoice_id, deps=deps, reason="r", actor=ACTOR, clock=dec_clock)
    with db.uow_factory() as uow:
        actions = [r.action for r in uow.audit.list(limit=50)]
    for action in ("billing_run.started", "invoice.drafted", "invoice.issued", "credit_note.issued",
                   "invoice.voided", "billing_run.finished"):
        assert action in actions, action


class Crash(BaseException):
    """Stands for the process dying mid-run (not an error a run records and survives)."""


def test_a_run_resumed_after_a_crash_never_bills_twice(db: TestDatabase, dec_clock: FixedClock) -> None:
    customers = [f"c{i:02d}" for i in range(12)]
    rater = FakeRater(usage={c: D(i) for i, c in enumerate(customers)})
    deps = make_deps(rater, customers)
    original = rater.rate_customer

    def crash_at_c07(uow, *, customer_id, period, as_of):  # type: ignore[no-untyped-def]
        if customer_id == "c07":
            raise Crash()
        return original(uow, customer_id=customer_id, period=period, as_of=as_of)

    rater.rate_customer = crash_at_c07  # type: ignore[method-assign]
    with pytest.raises(Crash):
        run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True, batch_size=5)
    assert len(service.list_invoices(db.uow_factory, period=NOV)) == 5  # the first batch was committed
    rater.rate_customer = original  # type: ignore[method-assign]
    resumed = run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True,
                          batch_size=5)
    assert resumed.counts["unchanged"] == 5 and resumed.issued == 7
    invoices = service.list_invoices(db.uow_factory, period=NOV)
    assert sorted(i.customer_id for i in invoices) == customers
    assert sorted(i.number or "" for i in invoices) == [f"TLY-2026-{n:06d}" for n in range(1, 13)]


def test_refresh_follows_late_usage_only_for_drafts(db: TestDatabase, dec_clock: FixedClock) -> None:
    rater = FakeRater(usage={"acme": D(1000)})
    deps = make_deps(rater, ["acme"])
    run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock)
    draft = service.list_invoices(db.uow_factory)[0]
    rater.usage["acme"] = D(1100)
    fresh = service.refresh_invoice(db.uow_factory, draft.invoice_id, deps=deps, actor=ACTOR, clock=dec_clock)
    assert fresh.lines[0].quantity == D(1100) and fresh.totals.total != draft.totals.total
    service.issue_invoice(db.uow_factory, draft.invoice_id, deps=deps, actor=ACTOR, clock=dec_clock)
    with pytest.raises(IllegalTransition):
        service.refresh_invoice(db.uow_factory, draft.invoice_id, deps=deps, actor=ACTOR, clock=dec_clock)


def test_verify_catches_an_invoice_tampered_with_behind_the_triggers(db: TestDatabase,
                                                                     dec_clock: FixedClock) -> None:
    deps = make_deps(FakeRater(usage={"acme": D(150)}), ["acme"])
    run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True)
    disable = ("ALTER TABLE invoice_lines DISABLE TRIGGER ALL" if db.backend == "postgres"
               else "DROP TRIGGER trg_invoice_lines_no_update")
    with db.engine.begin() as connection:
        connection.execute(text(disable))
        connection.execute(text("UPDATE invoice_lines SET quantity = '140' WHERE line_no = 1"))
        if db.backend == "postgres":
            connection.execute(text("ALTER TABLE invoice_lines ENABLE TRIGGER ALL"))
    result = service.verify_invoice(db.uow_factory, "TLY-2026-000001", deps=deps)
    assert not result.matches and "stored lines do not match their digest" in result.problems
    assert [d.line_key for d in result.differences] == ["usage:instance-hours"]


def test_voiding_an_invoice_that_used_credits_gives_them_back(db: TestDatabase, dec_clock: FixedClock) -> None:
    credits = RecordingCredits()
    deps = make_deps(FakeRater(usage={"acme": D(150)}, credit={"acme": D(30)}), ["acme"], credits=credits)
    run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True)
    assert credits.drawn("acme") == D("30.00")
    voided = service.void_invoice(db.uow_factory, "TLY-2026-000001", deps=deps, reason="wrong customer",
                                  actor=ACTOR, clock=dec_clock)
    assert voided.credit_note is not None
    [(invoice_id, note_id, _)] = credits.restored
    assert (invoice_id, note_id) == (voided.invoice.invoice_id, voided.credit_note.credit_note_id)
    assert credits.drawn("acme") == D(0)
    credit_line = next(ln for ln in voided.credit_note.lines if ln.line_key == "credit:prepaid")
    assert credit_line.amount == Money.of("-30.00", "USD")  # the note reverses the credit line too


def test_only_a_full_credit_note_gives_credits_back(db: TestDatabase, dec_clock: FixedClock) -> None:
    from tally.errors import InvalidInput

    credits = RecordingCredits()
    deps = make_deps(FakeRater(usage={"acme": D(150)}, credit={"acme": D(30)}), ["acme"], credits=credits)
    run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True)
    service.credit_invoice(db.uow_factory, "TLY-2026-000001", deps=deps, reason="goodwill", actor=ACTOR,
                           clock=dec_clock, line_amounts={"fee:platform": D("10.00")})
    assert credits.restored == [] and credits.drawn("acme") == D("30.00")  # the credit is still used
    with pytest.raises(InvalidInput) as refused:
        service.credit_invoice(db.uow_factory, "TLY-2026-000001", deps=deps, reason="part", actor=ACTOR,
                               clock=dec_clock, line_amounts={"credit:prepaid": D("-10.00")})
    assert "credit:prepaid" in str(refused.value)
    full = service.credit_invoice(db.uow_factory, "TLY-2026-000001", deps=deps, reason="cancelled", actor=ACTOR,
                                  clock=dec_clock)
    assert [note for _, note, _ in credits.restored] == [full.credit_note_id]
    assert credits.drawn("acme") == D(0)
    with pytest.raises(CreditExceedsRemaining):  # nothing left: no second credit note, no second return
        service.credit_invoice(db.uow_factory, "TLY-2026-000001", deps=deps, reason="again", actor=ACTOR,
                               clock=dec_clock)
    assert len(credits.restored) == 1


def test_an_invoice_paid_entirely_by_credit_is_voided_with_a_zero_credit_note(db: TestDatabase,
                                                                              dec_clock: FixedClock) -> None:
    credits = RecordingCredits()
    deps = make_deps(FakeRater(usage={"acme": D(150)}, credit={"acme": D(1000)}), ["globex", "acme"],
                     credits=credits)
    run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True)
    invoice = next(i for i in service.list_invoices(db.uow_factory) if i.customer_id == "acme")
    assert invoice.totals.subtotal.is_zero() and credits.drawn("acme") == D("75.00")
    voided = service.void_invoice(db.uow_factory, invoice.invoice_id, deps=deps, reason="duplicate", actor=ACTOR,
                                  clock=dec_clock)
    assert voided.credit_note is not None and voided.credit_note.totals == invoice.totals
    assert credits.drawn("acme") == D(0)
    other = next(i for i in service.list_invoices(db.uow_factory) if i.customer_id == "globex")
    note = service.credit_invoice(db.uow_factory, other.invoice_id, deps=deps, reason="cancelled", actor=ACTOR,
                                  clock=dec_clock)
    assert note.totals == other.totals  # a full credit of an invoice without credits: nothing to return
    assert [inv for inv, _, _ in credits.restored] == [invoice.invoice_id]


def test_a_correction_never_moves_a_prepaid_credit(db: TestDatabase, dec_clock: FixedClock) -> None:
    from tally.invoicing.errors import CorrectionMovesCredit

    credits = RecordingCredits()
    rater = FakeRater(usage={"acme": D(150)}, credit={"acme": D(30)})
    deps = make_deps(rater, ["acme"], credits=credits)
    run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True)
    rater.credit["acme"] = D(10)  # the re-rate sees less credit (e.g. its own drawdown counted as used)
    with pytest.raises(CorrectionMovesCredit) as refused:
        service.issue_correction(db.uow_factory, "TLY-2026-000001", deps=deps, reason="late usage", actor=ACTOR,
                                 clock=dec_clock)
    assert "credit:prepaid" in str(refused.value)
    rater.credit["acme"] = D(30)
    rater.usage["acme"] = D(1000)  # a usage-only difference with the credit line unchanged is corrected
    fixed = service.issue_correction(db.uow_factory, "TLY-2026-000001", deps=deps, reason="late usage", actor=ACTOR,
                                     clock=dec_clock)
    assert fixed.adjustment is not None and credits.restored == []
