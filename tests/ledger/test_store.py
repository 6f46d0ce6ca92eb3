"""The database itself keeps the journal a fact: balanced, append-only, closed periods locked."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError

from tally.ledger.errors import PeriodClosed
from tally.ledger.model import AR, CASH, cr, dr, make_entry
from tally.ledger.store import LedgerStore
from tally.money import Money
from tally.store.schema.ledger import ledger_entries, ledger_lines
from tests.conftest import TestDatabase

AT = datetime(2026, 11, 15, tzinfo=UTC)


def _entry(source_id: str, day: date, amount: str = "10.00"):  # type: ignore[no-untyped-def]
    entry = make_entry(source_kind="payment", source_id=source_id, entry_date=day, memo="paid",
                       lines=(dr(CASH, Money.of(amount, "USD")), cr(AR, Money.of(amount, "USD"))))
    assert entry is not None
    return entry


def test_posting_is_idempotent_per_source(db: TestDatabase) -> None:
    with db.uow_factory() as uow:
        store = LedgerStore(uow.connection)
        assert len(store.add([_entry("inv_1", date(2026, 11, 2))], posted_at=AT)) == 1
        assert store.add([_entry("inv_1", date(2026, 11, 2))], posted_at=AT) == ()
        uow.commit()
    with db.uow_factory() as uow:
        back = LedgerStore(uow.connection).entry(_entry("inv_1", date(2026, 11, 2)).entry_id)
        assert back == _entry("inv_1", date(2026, 11, 2))


def test_journal_rows_cannot_be_updated_or_deleted(db: TestDatabase) -> None:
    with db.uow_factory() as uow:
        LedgerStore(uow.connection).add([_entry("inv_1", date(2026, 11, 2))], posted_at=AT)
        uow.commit()
    for statement in ("UPDATE ledger_lines SET debit_minor = 0", "DELETE FROM ledger_lines",
                      "UPDATE ledger_entries SET memo = 'x'", "DELETE FROM ledger_entries"):
        with db.engine.connect() as connection, pytest.raises(DBAPIError, match="immutable"):
            connection.execute(text(statement))


def test_an_unbalanced_entry_is_refused_by_the_database(db: TestDatabase) -> None:
    row = {"entry_date": date(2026, 11, 2), "currency": "USD", "memo": "", "customer_id": None,
           "document": None, "product_code": None, "ref": None}
    with db.engine.connect() as connection, pytest.raises(DBAPIError, match="not balanced"):
        connection.execute(insert(ledger_lines), [
            {**row, "entry_id": "e1", "line_no": 1, "account": CASH, "debit_minor": 1000, "credit_minor": 0},
            {**row, "entry_id": "e1", "line_no": 2, "account": AR, "debit_minor": 0, "credit_minor": 999}])
        connection.execute(insert(ledger_entries).values(entry_id="e1", entry_date=date(2026, 11, 2),
                                                         source_kind="x", source_id="1", memo="", posted_at=AT))


def test_no_lines_can_be_added_to_a_written_entry(db: TestDatabase) -> None:
    entry = _entry("inv_1", date(2026, 11, 2))
    with db.uow_factory() as uow:
        LedgerStore(uow.connection).add([entry], posted_at=AT)
        uow.commit()
    with db.engine.connect() as connection, pytest.raises(DBAPIError, match="immutable"):
        connection.execute(insert(ledger_lines).values(
            entry_id=entry.entry_id, line_no=3, entry_date=date(2026, 11, 2), account=CASH, currency="USD",
            debit_minor=1, credit_minor=0, memo=""))


def test_entries_dated_in_a_closed_period_are_refused_in_code_and_in_the_database(db: TestDatabase) -> None:
    with db.uow_factory() as uow:
        store = LedgerStore(uow.connection)
        store.set_closed("2026-11", start_on=date(2026, 11, 1), end_on=date(2026, 12, 1), at=AT, by="t")
        with pytest.raises(PeriodClosed, match="2026-11"):
            store.add([_entry("inv_2", date(2026, 11, 30))], posted_at=AT)
        assert store.open_date(date(2026, 11, 30)) == date(2026, 12, 1)
        uow.commit()
    late = _entry("inv_3", date(2026, 11, 30))
    row = {"entry_date": date(2026, 11, 30), "currency": "USD", "memo": ""}
    with db.engine.connect() as connection, pytest.raises(DBAPIError, match="closed period"):
        connection.execute(insert(ledger_lines), [
            {**row, "entry_id": late.entry_id, "line_no": 1, "account": CASH, "debit_minor": 5, "credit_minor": 0},
            {**row, "entry_id": late.entry_id, "line_no": 2, "account": AR, "debit_minor": 0, "credit_minor": 5}])
        connection.execute(insert(ledger_entries).values(entry_id=late.entry_id, entry_date=date(2026, 11, 30),
                                                         source_kind="x", source_id="late", memo="", posted_at=AT))
