"""The period-close oracle ingest asks (`tally.ingest.observers.ClosedPeriods`): is this instant closed?"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from tally.ledger.store import LedgerStore, month_label
from tally.period import require_utc
from tally.store.uow import UnitOfWork


class LedgerClosedPeriods:
    """An event whose time falls in a closed month is late: ingest keeps it and flags it.

    The closed months are read once per transaction (ingest asks for every event of a batch).
    """

    def __init__(self) -> None:
        self._seen: tuple[Connection, frozenset[str]] | None = None

    def is_closed(self, uow: UnitOfWork, at: datetime) -> bool:
        connection = uow.connection
        if self._seen is None or self._seen[0] is not connection or not connection.in_transaction():
            self._seen = (connection, LedgerStore(connection).closed_labels())
        return month_label(require_utc(at, field="at").date()) in self._seen[1]


def closed_periods() -> LedgerClosedPeriods:
    return LedgerClosedPeriods()
