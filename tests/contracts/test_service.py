"""Contracts on SQLite and PostgreSQL: billable customers, subscribing many, credits and breakage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tally.audit.model import Actor
from tally.catalog.errors import CatalogInvalid
from tally.catalog.service import Action, apply_catalog
from tally.clock import FixedClock
from tally.contracts import service
from tally.contracts.errors import CreditOverdrawn
from tally.money import Money
from tally.period import Period
from tally.rating.model import CreditDrawdown
from tests.conftest import TestDatabase

DEMO = (Path(__file__).parents[2] / "src" / "tally" / "demo" / "catalog.yaml").read_text()
ACTOR = Actor.cli_user("tester")
NOV = Period.month("2026-11")


@pytest.fixture
def demo(db: TestDatabase, clock: FixedClock) -> TestDatabase:
    apply_catalog(db.uow_factory, DEMO, actor=ACTOR, clock=clock)
    return db


def test_subscribe_many_customers_in_one_call(demo: TestDatabase, clock: FixedClock) -> None:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    customers = [service.NewCustomer(customer_id=f"cust-{i:04d}", plan_code="self-serve", start=start)
                 for i in range(1, 301)]
    changes = service.subscribe_customers(demo.uow_factory, customers, actor=ACTOR, clock=clock)
    assert len(changes) == 300 and {c.action for c in changes} == {Action.CREATE}
    again = service.subscribe_customers(demo.uow_factory, customers[:5], actor=ACTOR, clock=clock)
    assert {c.action for c in again} == {Action.UNCHANGED}
    with demo.uow_factory() as uow:
        billable = service.billable_customers(uow, period=NOV)
        assert len(billable) == 302 and billable[0] == "cust-0001" and "cust-ent-001" in billable
        assert "cust-0001" not in service.billable_customers(uow, period=Period.month("2026-09"))


def test_subscribe_refuses_an_unknown_plan_and_writes_nothing(demo: TestDatabase, clock: FixedClock) -> None:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    customers = [service.NewCustomer(customer_id="cust-0001", plan_code="self-serve", start=start),
                 service.NewCustomer(customer_id="cust-0002", plan_code="gold", start=start)]
    with pytest.raises(CatalogInvalid) as caught:
        service.subscribe_customers(demo.uow_factory, customers, actor=ACTOR, clock=clock)
    assert caught.value.field == "customers[1].subscriptions[0].plan"
    with demo.uow_factory() as uow:
        assert service.billable_customers(uow, period=NOV) == ("cust-ent-001", "cust-ent-002")


def test_drawdowns_are_idempotent_per_invoice_and_never_below_zero(demo: TestDatabase, clock: FixedClock) -> None:
    usd = "USD"
    draws = [CreditDrawdown(credit_id="prepaid-2026", amount=Money.of("6000.00", usd),
                            remaining=Money.of("4000.00", usd), customer_id="cust-ent-001", line_key="credit:p"),
             CreditDrawdown(credit_id="search-bundle", amount=Money.of("400.00", usd), remaining=Money.zero(usd),
                            kind="units", units=Decimal(1_000_000), units_remaining=Decimal(4_000_000),
                            customer_id="cust-ent-001", line_key="credit:s")]
    at = clock.now()
    with demo.uow_factory() as uow:
        assert service.record_credit_drawdowns(uow, invoice_id="inv-1", drawdowns=draws, at=at) == 2
        uow.commit()
    with demo.uow_factory() as uow:
        assert service.record_credit_drawdowns(uow, invoice_id="inv-1", drawdowns=draws, at=at) == 0
        uow.commit()
    with demo.uow_factory() as uow, pytest.raises(CreditOverdrawn):
        service.record_credit_drawdowns(uow, invoice_id="inv-2", drawdowns=draws[:1], at=at)
    with demo.uow_factory() as uow:
        balances = {b.credit_id: b for b in service.credit_balances(uow, customer_id="cust-ent-001", as_of=at)}
        assert balances["prepaid-2026"].remaining == Decimal("4000.00")
        assert balances["search-bundle"].remaining == Decimal(4_000_000)


def test_breakage_reports_expired_remainders(demo: TestDatabase, clock: FixedClock) -> None:
    with demo.uow_factory() as uow:
        report = service.breakage_report(uow, as_of=clock.now())
        assert [(b.customer_id, b.credit_id, b.remaining) for b in report] == \
            [("cust-ent-002", "migration-credit", Decimal("500.00"))]
        later = service.breakage_report(uow, as_of=clock.now() + timedelta(days=400))
        assert {b.credit_id for b in later} == {"migration-credit", "prepaid-2026", "search-bundle"}


@pytest.mark.postgres
def test_concurrent_invoices_cannot_overdraw_a_credit(postgres_url: str, clock: FixedClock) -> None:
    """Two invoices drawing the same credit at once on PostgreSQL: one wins, the other is refused."""
    import threading

    from tally.store.engine import build_engine
    from tally.store.uow import UnitOfWorkFactory
    from tests.conftest import _truncate_all

    engine = build_engine(postgres_url)
    _truncate_all(engine)
    factory = UnitOfWorkFactory(engine)
    apply_catalog(factory, DEMO, actor=ACTOR, clock=clock)
    draw = CreditDrawdown(credit_id="prepaid-2026", amount=Money.of("7000.00", "USD"),
                          remaining=Money.of("3000.00", "USD"), customer_id="cust-ent-001", line_key="credit:p")
    outcomes: list[str] = []

    def second_invoice() -> None:
        with factory() as uow:
            try:
                service.record_credit_drawdowns(uow, invoice_id="inv-2", drawdowns=[draw], at=clock.now())
                uow.commit()
                outcomes.append("drawn")
            except CreditOverdrawn:
                outcomes.append("refused")

    with factory() as first:
        service.record_credit_drawdowns(first, invoice_id="inv-1", drawdowns=[draw], at=clock.now())
        racer = threading.Thread(target=second_invoice)
        racer.start()
        racer.join(timeout=1.0)
        assert racer.is_alive(), "the second invoice must wait for the first one's lock"
        first.commit()
    racer.join(timeout=10)
    engine.dispose()
    assert outcomes == ["refused"]


def test_apply_contracts_versions_a_changed_contract(demo: TestDatabase, clock: FixedClock) -> None:
    document = {"id": "cust-0009", "currency": "EUR", "effective_from": "2026-11-01T00:00:00Z",
                "subscriptions": [{"id": "main", "plan": "self-serve", "start": "2026-11-01T00:00:00Z"}]}
    assert [c.action for c in service.apply_contracts(demo.uow_factory, [document], actor=ACTOR, clock=clock)] == \
        [Action.CREATE]
    changed = {**document, "effective_from": "2026-12-01T00:00:00Z", "proration": "day"}
    assert [(c.action, c.version) for c in service.apply_contracts(demo.uow_factory, [changed], actor=ACTOR,
                                                                   clock=clock)] == [(Action.UPDATE, 2)]
    with demo.uow_factory() as uow:
        history = service.contract_history(uow, customer_id="cust-0009")
        assert [h.version_id for h in history] == ["cust-0009@1", "cust-0009@2"]
        nov = service.contract_in_force(uow, customer_id="cust-0009", period=NOV, as_of=clock.now())
        assert nov.version_id == "cust-0009@1"
        dec = service.contract_in_force(uow, customer_id="cust-0009", period=Period.month("2026-12"),
                                        as_of=clock.now())
        assert dec.terms.proration.value == "day"
    backdated = {**document, "effective_from": "2026-10-01T00:00:00Z", "name": "x"}
    with pytest.raises(CatalogInvalid) as caught:
        service.apply_contracts(demo.uow_factory, [backdated], actor=ACTOR, clock=clock)
    assert caught.value.field == "customers[0].effective_from"


def _ent_draws() -> list[CreditDrawdown]:
    usd = "USD"
    return [CreditDrawdown(credit_id="prepaid-2026", amount=Money.of("6000.00", usd),
                           remaining=Money.of("4000.00", usd), customer_id="cust-ent-001", line_key="credit:p"),
            CreditDrawdown(credit_id="search-bundle", amount=Money.of("400.00", usd), remaining=Money.zero(usd),
                           kind="units", units=Decimal(1_000_000), units_remaining=Decimal(4_000_000),
                           customer_id="cust-ent-001", line_key="credit:s")]


def _remaining(db: TestDatabase, at: datetime) -> dict[str, Decimal]:
    with db.uow_factory() as uow:
        return {b.credit_id: b.remaining for b in service.credit_balances(uow, customer_id="cust-ent-001", as_of=at)}


def test_a_full_credit_returns_every_drawdown_once_and_audits_it(demo: TestDatabase, clock: FixedClock) -> None:
    at = clock.now()
    with demo.uow_factory() as uow:
        service.record_credit_drawdowns(uow, invoice_id="inv-1", drawdowns=_ent_draws(), at=at)
        uow.commit()
    assert _remaining(demo, at) == {"prepaid-2026": Decimal("4000.00"), "search-bundle": Decimal(4_000_000)}
    later = at + timedelta(hours=1)
    with demo.uow_factory() as uow:
        assert service.restore_credit_drawdowns(uow, invoice_id="inv-1", credit_note_id="cn-1", at=later,
                                                actor=ACTOR) == 2
        uow.commit()
    assert _remaining(demo, later) == {"prepaid-2026": Decimal("10000.00"), "search-bundle": Decimal(5_000_000)}
    with demo.uow_factory() as uow:  # idempotent: a second call (even under another note) returns nothing
        assert service.restore_credit_drawdowns(uow, invoice_id="inv-1", credit_note_id="cn-1", at=later) == 0
        assert service.restore_credit_drawdowns(uow, invoice_id="inv-1", credit_note_id="cn-2", at=later) == 0
        assert service.restore_credit_drawdowns(uow, invoice_id="inv-none", credit_note_id="cn-3", at=later) == 0
        restored = [r for r in uow.audit.list(subject_type="credit", limit=20) if r.action == "credit.restored"]
        uow.commit()
    assert _remaining(demo, later) == {"prepaid-2026": Decimal("10000.00"), "search-bundle": Decimal(5_000_000)}
    assert sorted(r.subject_id for r in restored) == ["cust-ent-001/prepaid-2026", "cust-ent-001/search-bundle"]
    assert {r.actor for r in restored} == {str(ACTOR)}
    with demo.uow_factory() as uow:  # rating as of before the return still sees the drawn balance
        grants = service.latest_contracts(uow, customer_ids=["cust-ent-001"])[0].terms.credits
        assert service.credit_remaining(uow, customer_id="cust-ent-001", credits=grants,
                                        before=later)["prepaid-2026"] == Decimal("4000.00")
        # the returned balance can be drawn again by another invoice
        assert service.record_credit_drawdowns(uow, invoice_id="inv-2", drawdowns=_ent_draws()[:1],
                                               at=later) == 1
        uow.commit()


def test_restore_refuses_empty_or_same_ids(demo: TestDatabase, clock: FixedClock) -> None:
    from tally.errors import InvalidInput

    with demo.uow_factory() as uow:
        for invoice_id, note_id in (("", "cn-1"), ("inv-1", " "), ("inv-1", "inv-1")):
            with pytest.raises(InvalidInput):
                service.restore_credit_drawdowns(uow, invoice_id=invoice_id, credit_note_id=note_id, at=clock.now())


def test_a_returned_credit_past_its_expiry_is_breakage(demo: TestDatabase, clock: FixedClock) -> None:
    at = clock.now()
    with demo.uow_factory() as uow:
        service.record_credit_drawdowns(uow, invoice_id="inv-1", drawdowns=_ent_draws()[:1], at=at)
        uow.commit()
    expired = datetime(2027, 2, 1, tzinfo=UTC)  # prepaid-2026 expired on 2027-01-01
    with demo.uow_factory() as uow:
        before = {b.credit_id: b.remaining for b in service.breakage_report(uow, as_of=expired)
                  if b.customer_id == "cust-ent-001"}
        assert before["prepaid-2026"] == Decimal("4000.00")
        assert service.restore_credit_drawdowns(uow, invoice_id="inv-1", credit_note_id="cn-1", at=expired) == 1
        after = {b.credit_id: b.remaining for b in service.breakage_report(uow, as_of=expired)
                 if b.customer_id == "cust-ent-001"}
        assert after["prepaid-2026"] == Decimal("10000.00")
