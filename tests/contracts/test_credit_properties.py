"""Any sequence of drawdowns and returns, written to a real database: a prepaid credit never goes
below zero nor above its grant, and no drawdown is ever returned twice."""

from __future__ import annotations

import itertools
import shutil
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tally.audit.model import Actor
from tally.catalog.service import apply_catalog
from tally.clock import FixedClock
from tally.contracts import service
from tally.contracts.errors import CreditOverdrawn
from tally.money import Money, currency
from tally.rating.model import CreditDrawdown
from tally.store.engine import build_engine
from tally.store.schema.catalog import credit_drawdowns
from tally.store.uow import UnitOfWorkFactory

DEMO = (Path(__file__).parents[2] / "src" / "tally" / "demo" / "catalog.yaml").read_text()
GRANT = Decimal("10000.00")
USD = currency("USD")
AT = datetime(2026, 11, 15, tzinfo=UTC)
_ids = itertools.count()

draw = st.tuples(st.just("draw"), st.integers(min_value=0, max_value=5), st.integers(min_value=1, max_value=600_000))
give_back = st.tuples(st.just("restore"), st.integers(min_value=0, max_value=5), st.integers(min_value=0, max_value=2))


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    path = tmp_path_factory.mktemp("credits") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    engine = build_engine(f"sqlite:///{path}")
    apply_catalog(UnitOfWorkFactory(engine), DEMO, actor=Actor.cli_user("t"), clock=FixedClock(AT))
    engine.dispose()
    return path


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(draw, give_back), min_size=1, max_size=15))
def test_credits_stay_within_the_grant_and_are_returned_once(
        demo_template: Path, tmp_path: Path, steps: list[tuple[str, int, int]]) -> None:
    path = tmp_path / f"c{next(_ids)}.db"
    shutil.copyfile(demo_template, path)
    engine = build_engine(f"sqlite:///{path}")
    uow_factory = UnitOfWorkFactory(engine)
    left = GRANT
    drawn: dict[str, Decimal] = {}  # invoice → amount drawn
    returned: set[str] = set()
    for n, (op, invoice_no, value) in enumerate(steps):
        invoice_id, at = f"inv-{invoice_no}", AT + timedelta(minutes=n)
        with uow_factory() as uow:
            if op == "draw":
                amount = Decimal(value).scaleb(-2)
                d = CreditDrawdown(credit_id="prepaid-2026", amount=Money(amount, USD),
                                   remaining=Money.zero(USD), customer_id="cust-ent-001", line_key="credit:p")
                if invoice_id in drawn:  # idempotent per invoice, even after a return
                    assert service.record_credit_drawdowns(uow, invoice_id=invoice_id, drawdowns=[d], at=at) == 0
                elif amount > left:
                    with pytest.raises(CreditOverdrawn):
                        service.record_credit_drawdowns(uow, invoice_id=invoice_id, drawdowns=[d], at=at)
                    continue
                else:
                    assert service.record_credit_drawdowns(uow, invoice_id=invoice_id, drawdowns=[d], at=at) == 1
                    drawn[invoice_id], left = amount, left - amount
            else:
                count = service.restore_credit_drawdowns(uow, invoice_id=invoice_id, credit_note_id=f"cn-{n}-{value}",
                                                         at=at)
                expected = 1 if invoice_id in drawn and invoice_id not in returned else 0
                assert count == expected
                if expected:
                    returned.add(invoice_id)
                    left += drawn[invoice_id]
            uow.commit()
        with uow_factory() as uow:
            balance = {b.credit_id: b for b in service.credit_balances(uow, customer_id="cust-ent-001", as_of=at)}
            assert balance["prepaid-2026"].remaining == left
            assert Decimal(0) <= left <= GRANT
            returns = uow.connection.execute(select(func.count()).select_from(credit_drawdowns).where(
                credit_drawdowns.c.restores_seq.is_not(None))).scalar_one()
            assert returns == len(returned)
    engine.dispose()
