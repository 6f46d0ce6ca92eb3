"""A billing run writes a batch's new invoices as one group (SQLite and PostgreSQL): gapless numbers in
customer order, the same invoices as one-by-one billing, failures kept to their customer, and a group
that meets a concurrent run's invoice redone one customer at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import orjson
import pytest
from sqlalchemy import text

from tally.audit.model import Actor
from tally.clock import FixedClock
from tally.errors import InvalidInput
from tally.invoicing import service
from tally.invoicing.billing_run import run_billing
from tally.invoicing.model import Invoice, InvoiceStatus
from tally.invoicing.numbering import sequence_of
from tally.invoicing.store import InvoiceStore
from tally.observability.metrics import REGISTRY
from tally.period import Period
from tally.rating.model import CreditDrawdown
from tally.store.uow import UnitOfWork
from tests.conftest import TestDatabase
from tests.invoicing.fakes import DEC_2, NOV, FakeRater, RecordingCredits, make_deps

D = Decimal
ACTOR = Actor.cli_user("test")


@pytest.fixture
def dec_clock() -> FixedClock:
    return FixedClock(DEC_2)


def _invoices(db: TestDatabase) -> list[Invoice]:
    return sorted(service.list_invoices(db.uow_factory, period=NOV, limit=1000), key=lambda i: i.number or "")


def _audited(db: TestDatabase, action: str) -> list[str]:
    """Subject ids of the audit records of `action`, oldest first."""
    with db.uow_factory() as uow:
        return [r.subject_id for r in reversed(uow.audit.list(subject_type="invoice", limit=1000))
                if r.action == action]


def _redone(reason: str) -> float:
    return REGISTRY.get_sample_value("tally_billing_group_writes_redone_total", {"reason": reason}) or 0.0


def _one_by_one(monkeypatch: pytest.MonkeyPatch, customers: Sequence[str]) -> None:
    """Make the run believe `customers` have a draft: it then bills each alone, in its own savepoint
    (the path that finds, rates, issues and stores one customer at a time)."""
    original = InvoiceStore.statuses_for

    def statuses_for(self: InvoiceStore, period: Period, customer_ids: Sequence[str]) -> dict[str, str]:
        found = original(self, period, customer_ids)
        return {**{c: InvoiceStatus.DRAFT.value for c in customer_ids if c in customers}, **found}

    monkeypatch.setattr(InvoiceStore, "statuses_for", statuses_for)


def test_a_batch_is_issued_in_customer_order_like_one_by_one_billing(
        db: TestDatabase, dec_clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    group = [f"g{i:02d}" for i in range(12)]
    single = [f"s{i:02d}" for i in range(12)]
    usage = {**{c: D(i * 37) for i, c in enumerate(group)}, **{c: D(i * 37) for i, c in enumerate(single)}}
    deps = make_deps(FakeRater(usage=usage), group)
    issued_before = REGISTRY.get_sample_value("tally_invoices_issued_total") or 0.0
    report = run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True,
                         batch_size=5)
    assert report.ok and report.issued == 12 and report.counts["drafted"] == 0
    assert REGISTRY.get_sample_value("tally_invoices_issued_total") == issued_before + 12
    _one_by_one(monkeypatch, single)
    deps_single = make_deps(FakeRater(usage=usage), single)
    assert run_billing(db.uow_factory, period=NOV, deps=deps_single, actor=ACTOR, clock=dec_clock,
                       issue=True, batch_size=5).issued == 12

    invoices = _invoices(db)
    assert [sequence_of(i.number or "") for i in invoices] == list(range(1, 25))
    assert [i.customer_id for i in invoices] == [*group, *single]  # numbered in customer order
    for grouped, alone in zip(invoices[:12], invoices[12:], strict=True):
        assert grouped.lines == alone.lines and grouped.totals == alone.totals
        assert grouped.lines_digest == alone.lines_digest and grouped.credit_balances == alone.credit_balances
        assert (grouped.status, grouped.series, grouped.issued_at, grouped.due_on) == \
            (alone.status, alone.series, alone.issued_at, alone.due_on)
    assert _audited(db, "invoice.issued") == [i.invoice_id for i in invoices]
    with db.uow_factory() as uow:
        records = {r.subject_id: r for r in uow.audit.list(subject_type="invoice", limit=1000)}
    first = orjson.loads(records[invoices[0].invoice_id].after or "")
    assert (first["number"], first["customer_id"], first["total"]) == ("TLY-2026-000001", "g00",
                                                                         str(invoices[0].totals.total.amount))


def test_a_batch_of_new_drafts_is_stored_and_audited_once_each(db: TestDatabase, dec_clock: FixedClock) -> None:
    customers = [f"c{i:02d}" for i in range(7)]
    deps = make_deps(FakeRater(usage={c: D(i * 50) for i, c in enumerate(customers)}), customers)
    drafted_before = REGISTRY.get_sample_value("tally_invoices_drafted_total") or 0.0
    report = run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, batch_size=3)
    assert report.ok and report.counts["drafted"] == 7 and report.issued == 0
    assert REGISTRY.get_sample_value("tally_invoices_drafted_total") == drafted_before + 7
    drafts = service.list_invoices(db.uow_factory, period=NOV)
    assert sorted(i.customer_id for i in drafts) == customers
    assert all(i.status is InvoiceStatus.DRAFT and i.number is None for i in drafts)
    assert sorted(_audited(db, "invoice.drafted")) == sorted(i.invoice_id for i in drafts)
    assert [d.lines[0].quantity for d in sorted(drafts, key=lambda i: i.customer_id)] == [D(i * 50) for i in range(7)]


def test_a_customer_failing_in_rating_fails_alone_and_leaves_no_gap(db: TestDatabase,
                                                                    dec_clock: FixedClock) -> None:
    customers = [f"c{i:02d}" for i in range(9)]
    rater = FakeRater(usage={c: D(i) for i, c in enumerate(customers)}, fail_for={"c04"})
    deps = make_deps(rater, customers)
    failed_before = REGISTRY.get_sample_value("tally_billing_failures_total", {"code": "unexpected_error"}) or 0.0
    report = run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True,
                         batch_size=9)
    assert [(f.customer_id, f.code) for f in report.failures] == [("c04", "unexpected_error")]
    assert report.issued == 8
    assert REGISTRY.get_sample_value("tally_billing_failures_total", {"code": "unexpected_error"}) == \
        failed_before + 1
    invoices = _invoices(db)
    assert [i.customer_id for i in invoices] == [c for c in customers if c != "c04"]
    assert [sequence_of(i.number or "") for i in invoices] == list(range(1, 9))
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT customer_id, code FROM billing_run_failures")).all()
    assert [tuple(r) for r in rows] == [("c04", "unexpected_error")]


@pytest.mark.parametrize("concurrent", ["issued", "draft"])
def test_a_group_meeting_a_concurrent_runs_invoice_is_billed_one_by_one(
        db: TestDatabase, dec_clock: FixedClock, monkeypatch: pytest.MonkeyPatch, concurrent: str) -> None:
    customers = [f"c{i:02d}" for i in range(6)]
    deps = make_deps(FakeRater(usage={c: D(i * 10) for i, c in enumerate(customers)}), customers)
    # another run billed c03 after this run looked: this run's look (statuses_for) still sees nothing
    run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, customers=["c03"],
                issue=concurrent == "issued")
    monkeypatch.setattr(InvoiceStore, "statuses_for", lambda self, period, customer_ids: {})
    redone_before = _redone("conflict")
    report = run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True)
    assert report.ok
    assert _redone("conflict") == redone_before + 1
    if concurrent == "issued":
        assert report.issued == 5 and report.counts["unchanged"] == 1
    else:
        assert report.issued == 6 and report.counts["unchanged"] == 0
    assert sum(report.counts.values()) == len(customers)
    invoices = _invoices(db)
    assert sorted(i.customer_id for i in invoices) == customers  # one invoice each, none twice
    assert [sequence_of(i.number or "") for i in invoices] == list(range(1, 7))  # the rolled-back group left no gap
    assert sorted(_audited(db, "invoice.issued")) == sorted(i.invoice_id for i in invoices)


class RefusingCredits(RecordingCredits):
    """Contracts refusing one customer's drawdown (its credit would go below zero)."""

    refuse: str = "cr-c02"

    def record_credit_drawdowns(self, uow: UnitOfWork, *, invoice_id: str, drawdowns: Sequence[CreditDrawdown],
                                at: datetime) -> None:
        if any(d.credit_id == self.refuse for d in drawdowns):
            raise InvalidInput("drawdowns", f"credit {self.refuse} would go below zero")
        super().record_credit_drawdowns(uow, invoice_id=invoice_id, drawdowns=drawdowns, at=at)


def test_credit_drawdowns_are_recorded_for_the_invoices_that_draw(db: TestDatabase, dec_clock: FixedClock) -> None:
    customers = [f"c{i:02d}" for i in range(5)]
    credits = RecordingCredits()
    rater = FakeRater(usage={c: D(150) for c in customers}, credit={"c01": D(30), "c03": D(500)})
    deps = make_deps(rater, customers, credits=credits)
    report = run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True)
    assert report.ok and report.issued == 5
    by_customer = {i.customer_id: i for i in _invoices(db)}
    assert credits.recorded == [(by_customer["c01"].invoice_id, by_customer["c01"].credit_balances),
                                (by_customer["c03"].invoice_id, by_customer["c03"].credit_balances)]
    assert credits.drawn("c01") == D(30) and credits.drawn("c03") == D(75)  # c03's invoice is paid by credit
    assert by_customer["c03"].totals.subtotal.is_zero()


def test_a_refused_drawdown_fails_its_customer_alone(db: TestDatabase, dec_clock: FixedClock) -> None:
    customers = [f"c{i:02d}" for i in range(5)]
    credits = RefusingCredits()
    rater = FakeRater(usage={c: D(150) for c in customers}, credit={"c01": D(30), "c02": D(30)})
    deps = make_deps(rater, customers, credits=credits)
    redone_before = _redone("customer_error")
    report = run_billing(db.uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=dec_clock, issue=True)
    assert [(f.customer_id, f.code) for f in report.failures] == [("c02", "invalid_input")]
    assert report.issued == 4 and _redone("customer_error") == redone_before + 1
    invoices = _invoices(db)
    assert [i.customer_id for i in invoices] == ["c00", "c01", "c03", "c04"]
    assert [sequence_of(i.number or "") for i in invoices] == [1, 2, 3, 4]
    # the fake keeps what the rolled-back group write recorded (the database forgot it); the redo's is last
    assert credits.recorded[-1] == (invoices[1].invoice_id, invoices[1].credit_balances)
    assert sorted(_audited(db, "invoice.issued")) == sorted(i.invoice_id for i in invoices)
