"""A rater whose usage is spread over days, so that daily recognition can be checked to the cent.

It prices like `tests.invoicing.fakes.FakeRater` (tiers 0.10 then 0.08 above 100 hours, platform fee in
advance, support in arrears, 10 % discount, true-up to 50.00, prepaid credit): the quantity of a
(partial) period is the sum of the days it covers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tally.ledger.service import RecognitionDeps
from tally.period import Period
from tally.rating.model import RatingResult
from tally.store.uow import UnitOfWork
from tests.invoicing.fakes import FakeRater


@dataclass
class DailyRater(FakeRater):
    daily: dict[str, dict[date, Decimal]] = field(default_factory=dict)

    def quantity(self, customer_id: str, period: Period) -> Decimal:
        total = Decimal(0)
        for day, q in self.daily.get(customer_id, {}).items():
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            if period.start <= start and start + timedelta(days=1) <= period.end:
                total += q
        return total

    def rate_customer(self, uow: UnitOfWork, *, customer_id: str, period: Period, as_of: datetime) -> RatingResult:
        self.calls += 1
        return self.result(customer_id, period, self.quantity(customer_id, period))

    def deps(self) -> RecognitionDeps:
        def customers(uow: UnitOfWork, *, period: Period) -> tuple[str, ...]:
            return tuple(sorted(self.daily))

        return RecognitionDeps(rater=self.rate_customer, customers=customers)
