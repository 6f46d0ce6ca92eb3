"""Written to a real database, any generated postings (and their reversals) keep the books balanced."""

from __future__ import annotations

import itertools
import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tally.ledger.model import AR, CASH, DEFERRED, TAX, cr, dr, make_entry, reversal_of
from tally.ledger.service import trial_balance_in
from tally.ledger.store import LedgerStore
from tally.money import Money, Rounding, allocate
from tally.store.engine import build_engine
from tally.store.uow import UnitOfWorkFactory

ACCOUNTS = (AR, CASH, DEFERRED, TAX, "revenue:compute", "discounts:compute", "unbilled_receivables")
AT = datetime(2026, 11, 15, tzinfo=UTC)
_ids = itertools.count()

posting = st.tuples(st.sampled_from(("USD", "EUR", "JPY")), st.integers(min_value=1, max_value=10**9),
                    st.sampled_from(ACCOUNTS),
                    st.lists(st.tuples(st.sampled_from(ACCOUNTS), st.integers(min_value=1, max_value=50)),
                             min_size=1, max_size=4),
                    st.integers(min_value=1, max_value=28), st.booleans())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(posting, min_size=1, max_size=12))
def test_written_postings_balance_and_reversals_net_to_zero(
        sqlite_template: Path, tmp_path: Path,
        postings: list[tuple[str, int, str, list[tuple[str, int]], int, bool]]) -> None:
    path = tmp_path / f"p{next(_ids)}.db"
    shutil.copyfile(sqlite_template, path)
    engine = build_engine(f"sqlite:///{path}")
    uow_factory = UnitOfWorkFactory(engine)
    reversed_ids: list[str] = []
    with uow_factory() as uow:
        store = LedgerStore(uow.connection)
        for n, (code, minor, debit_account, credits, day, reverse) in enumerate(postings):
            total = Money.from_minor_units(minor, Money.zero(code).currency)
            shares = allocate(total, [Decimal(w) for _, w in credits], rounding=Rounding.HALF_EVEN)
            entry = make_entry(source_kind="t", source_id=str(n), entry_date=date(2026, 11, day), memo="",
                               lines=(dr(debit_account, total),
                                      *(cr(acc, s) for (acc, _), s in zip(credits, shares, strict=True))))
            assert entry is not None
            store.add([entry], posted_at=AT)
            if reverse:
                store.add([reversal_of(entry, entry_date=date(2026, 11, 28), reason="t")], posted_at=AT)
                reversed_ids.append(entry.entry_id)
        tb = trial_balance_in(uow, before=date(2026, 12, 1))
        assert tb.balanced
        if len(reversed_ids) == len(postings):
            assert all(row.balance == 0 for row in tb.rows)
        uow.commit()
    engine.dispose()
