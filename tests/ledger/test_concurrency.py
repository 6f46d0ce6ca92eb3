"""Two closes of one month at once: one closes it, the other is told it is closed; nothing posted twice."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

from tally.audit.model import Actor
from tally.clock import FixedClock
from tally.errors import TallyError
from tally.ledger import service
from tally.ledger.errors import PeriodAlreadyClosed
from tally.ledger.store import LedgerStore
from tally.period import Period
from tests.conftest import TestDatabase
from tests.ledger.fakes import DailyRater

ACTOR = Actor.cli_user("test")


def test_concurrent_closes_of_one_month(db: TestDatabase) -> None:
    rater = DailyRater(daily={f"c{i:02d}": {date(2026, 11, d): Decimal(5) for d in range(1, 31)} for i in range(8)})
    clock = FixedClock(datetime(2026, 12, 1, 1, tzinfo=UTC))
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def close() -> None:
        barrier.wait()
        try:
            outcomes.append(service.close_period(db.uow_factory, Period.month("2026-11"), actor=ACTOR, clock=clock,
                                                 deps=rater.deps()))
        except (TallyError, Exception) as exc:  # PostgreSQL: already closed; SQLite may also say "locked"
            outcomes.append(exc)

    threads = [threading.Thread(target=close) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    reports = [o for o in outcomes if isinstance(o, service.CloseReport)]
    assert len(reports) == 1 and reports[0].counts.usage_days == 8 * 30
    if db.backend == "postgres":
        assert any(isinstance(o, PeriodAlreadyClosed) for o in outcomes)
    with db.uow_factory() as uow:
        assert LedgerStore(uow.connection).closed_labels() == frozenset({"2026-11"})
        tb = service.trial_balance_in(uow, before=date(2026, 12, 1))
    assert tb.balanced and tb.balance("unbilled_receivables", "USD") == reports[0].trial_balance.balance(
        "unbilled_receivables", "USD")
