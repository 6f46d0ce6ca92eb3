"""Document counters hand out consecutive numbers that commit or roll back with their transaction
(SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from tally.errors import InvariantViolation
from tally.invoicing.store import DocumentCounters
from tests.conftest import TestDatabase


def test_take_reserves_consecutive_numbers_after_the_last_used(db: TestDatabase) -> None:
    with db.uow_factory() as uow:
        counters = DocumentCounters(uow.connection)
        assert counters.next("TLY-2026") == 1
        assert counters.take("TLY-2026", 5) == 2  # 2..6
        assert counters.next("TLY-2026") == 7
        assert counters.take("TLY-CN-2026", 3) == 1  # a new series starts at 1
        with pytest.raises(InvariantViolation):
            counters.take("TLY-2026", 0)
        uow.commit()
    with db.uow_factory() as uow:
        assert DocumentCounters(uow.connection).current("TLY-2026") == 7
        DocumentCounters(uow.connection).take("TLY-2026", 100)  # rolled back: never used
    with db.uow_factory() as uow:
        assert DocumentCounters(uow.connection).take("TLY-2026", 2) == 8
