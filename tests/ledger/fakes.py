"""A rater whose usage is spread over days, so that daily recognition can be checked to the cent.

It prices like `tests.invoicing.fakes.FakeRater` (tiers 0.10 then 0.08 above 100 hours, platform fee in
advance, support in arrears, 10 % discount, true-up to 50.00, prepaid credit): the quantity of a
(partial) period is the sum of the days it covers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tally.contracts import service as contracts_service
from tally.ledger.service import RecognitionDeps
from tally.period import Period
from tally.rating import service as rating_service
from tally.rating.model import RatingResult
from tally.store.uow import UnitOfWork
from tests.invoicing.fakes import FakeRater
from tests.rating.fakes import FakeUsageAmount


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


@dataclass
class DailyUsage:
    """A `UsageSource` (SUM meters) whose quantity over a period is the sum of the whole days it covers."""

    days: dict[tuple[str, str, tuple[tuple[str, str], ...]], dict[date, Decimal]] = field(default_factory=dict)

    def add(self, customer: str, meter: str, per_day: str, days: range, month: tuple[int, int] = (2026, 11),
            **group: str) -> DailyUsage:
        series = self.days.setdefault((customer, meter, tuple(sorted(group.items()))), {})
        for d in days:
            series[date(month[0], month[1], d)] = Decimal(per_day)
        return self

    def __call__(self, uow: object, *, customer_id: str, period: Period, meter_slug: str,
                 group_filter: Mapping[str, str] | None = None) -> FakeUsageAmount:
        key = (customer_id, meter_slug, tuple(sorted((group_filter or {}).items())))
        total = Decimal(0)
        for day, q in self.days.get(key, {}).items():
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            if period.start <= start and start + timedelta(days=1) <= period.end:
                total += q
        return FakeUsageAmount(meter_slug=meter_slug, meter_version=1, quantity=total,
                               rollup_digest=f"{customer_id}|{meter_slug}|{period.label}|{total}")


@dataclass
class RealRater:
    """The real rating service with injected usage: serves invoicing (both paths) and recognition."""

    usage: DailyUsage

    def rate_customers(self, uow: UnitOfWork, *, customer_ids: Sequence[str], period: Period,
                       as_of: datetime) -> rating_service.CustomerRatings:
        return rating_service.rate_customers(uow, customer_ids=customer_ids, period=period, as_of=as_of,
                                             usage=self.usage)

    def rate_customer(self, uow: UnitOfWork, *, customer_id: str, period: Period, as_of: datetime) -> RatingResult:
        return rating_service.rate_customer(uow, customer_id=customer_id, period=period, as_of=as_of,
                                            usage=self.usage)

    def rate_customer_from_events(self, uow: UnitOfWork, *, customer_id: str, period: Period,
                                  as_of: datetime) -> RatingResult:
        return self.rate_customer(uow, customer_id=customer_id, period=period, as_of=as_of)

    def deps(self) -> RecognitionDeps:
        return RecognitionDeps(rater=self.rate_customer, customers=contracts_service.billable_customers,
                               usage=lambda: self.usage)

    def slow_deps(self) -> RecognitionDeps:
        """Every day rated through `rate_customer` (the reference the fast path must equal)."""
        return RecognitionDeps(rater=self.rate_customer, customers=contracts_service.billable_customers)
