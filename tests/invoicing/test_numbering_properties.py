"""Numbers stay gapless and unique under any interleaving of issue, pay and void (SQLite)."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tally.audit.model import Actor
from tally.clock import FixedClock
from tally.errors import TallyError
from tally.invoicing import service
from tally.invoicing.billing_run import run_billing
from tally.invoicing.numbering import sequence_of
from tally.store.engine import build_engine
from tally.store.migrate import upgrade
from tally.store.uow import UnitOfWorkFactory
from tests.invoicing.fakes import DEC_2, NOV, FakeRater, make_deps

ACTOR = Actor.cli_user("prop")
ops = st.lists(st.tuples(st.sampled_from(["issue", "pay", "void", "correct"]), st.integers(0, 5)),
               min_size=1, max_size=20)


@settings(max_examples=15, deadline=None)
@given(steps=ops)
def test_gapless_under_any_interleaving(steps: list[tuple[str, int]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = build_engine(f"sqlite:///{Path(tmp) / 't.db'}")
        upgrade(engine)
        uow_factory = UnitOfWorkFactory(engine)
        clock = FixedClock(DEC_2)
        customers = [f"c{i}" for i in range(6)]
        rater = FakeRater(usage={c: Decimal(100 * (i + 1)) for i, c in enumerate(customers)})
        deps = make_deps(rater, customers)
        run_billing(uow_factory, period=NOV, deps=deps, actor=ACTOR, clock=clock)
        ids = [i.invoice_id for i in service.list_invoices(uow_factory, period=NOV)]
        for op, k in steps:
            try:
                if op == "issue":
                    service.issue_invoice(uow_factory, ids[k], deps=deps, actor=ACTOR, clock=clock)
                elif op == "pay":
                    service.pay_invoice(uow_factory, ids[k], actor=ACTOR, clock=clock)
                elif op == "void":
                    service.void_invoice(uow_factory, ids[k], deps=deps, reason="r", actor=ACTOR, clock=clock)
                else:
                    rater.usage[customers[k]] += Decimal(7)
                    service.issue_correction(uow_factory, ids[k], deps=deps, reason="r", actor=ACTOR, clock=clock)
            except TallyError:
                pass  # illegal moves are refused; they must not consume a number
        invoices = service.list_invoices(uow_factory, period=NOV)
        numbers = sorted(sequence_of(i.number) for i in invoices if i.number)
        assert numbers == list(range(1, len(numbers) + 1))
        notes = service.list_credit_notes(uow_factory, period=NOV)
        assert sorted(sequence_of(n.number) for n in notes) == list(range(1, len(notes) + 1))
        engine.dispose()
