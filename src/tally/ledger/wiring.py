"""The period-close oracle ingest asks (`tally.ingest.observers.ClosedPeriods`): is this instant closed?"""

from __future__ import annotations

from datetime import datetime

from tally.ledger.store import LedgerStore, month_label
from tally.period import require_utc
from tally.store.uow import UnitOfWork


class LedgerClosedPeriods:
    """An event whose time falls in a closed month is late: ingest keeps it and flags it."""

    def is_closed(self, uow: UnitOfWork, at: datetime) -> bool:
        return month_label(require_utc(at, field="at").date()) in LedgerStore(uow.connection).closed_labels()


def closed_periods() -> LedgerClosedPeriods:
    return LedgerClosedPeriods()
