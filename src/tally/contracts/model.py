"""Records of the contracts stage: customers' contract versions and what they agree to. No I/O.

A contract version is the whole agreement from `effective_from` on; every change is a new version.
Subscriptions, discounts, commitments and credits carry their own half-open time ranges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from tally.catalog.model import Price
from tally.errors import InvalidInput
from tally.money import Currency
from tally.period import Period


class ProrationUnit(StrEnum):
    """How a fee for part of a period is shared: by the exact second, or by started UTC days."""

    SECOND = "second"
    DAY = "day"


class DiscountKind(StrEnum):
    PERCENTAGE = "percentage"
    FIXED = "fixed"


class CreditKind(StrEnum):
    MONEY = "money"
    UNITS = "units"


def add_months(instant: datetime, months: int) -> datetime:
    """The same day and time `months` later (days 1..28 exist in every month)."""
    index = instant.year * 12 + instant.month - 1 + months
    return instant.replace(year=index // 12, month=index % 12 + 1)


def anchored_period(anchor_day: int, month: str) -> Period:
    """The billing period starting on `anchor_day` of `month` (YYYY-MM), UTC: `[M-anchor, M+1-anchor)`.

    Anchor 1 gives the calendar month. Anchors are 1..28 so that every month has the day."""
    if not 1 <= anchor_day <= 28:
        raise InvalidInput("billing_anchor", f"must be a day of month 1..28, got {anchor_day}")
    calendar = Period.month(month)
    start = calendar.start.replace(day=anchor_day)
    return Period(start, add_months(start, 1))


def active(start: datetime, end: datetime | None, period: Period) -> bool:
    """Whether `[start, end)` overlaps the period."""
    return start < period.end and (end is None or end > period.start)


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription:
    subscription_id: str
    plan_code: str
    start: datetime
    end: datetime | None = None  # exclusive; None: open-ended

    def covered(self, period: Period) -> Period | None:
        """The part of `period` this subscription covers."""
        end = period.end if self.end is None else min(self.end, period.end)
        start = max(self.start, period.start)
        return Period(start, end) if start < end else None


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceOverride:
    """A negotiated price for one product (any model, e.g. a different tier table)."""

    product_code: str
    price: Price


@dataclass(frozen=True, slots=True, kw_only=True)
class Discount:
    """Percentage (value 10 = 10 %) or fixed amount per period, on one product or (None) on the total."""

    discount_id: str
    kind: DiscountKind
    value: Decimal
    product_code: str | None
    start: datetime
    end: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Commitment:
    """Minimum spend per billing period; a shortfall becomes a true-up line at period end."""

    commitment_id: str
    amount: Decimal
    start: datetime
    end: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditGrant:
    """A prepaid balance: money (any charge) or units of one product. Expired remainder is breakage."""

    credit_id: str
    kind: CreditKind
    amount: Decimal  # money in the contract currency, or units of `product_code`
    product_code: str | None
    priority: int  # lower is drawn first; then the earliest expiry
    granted_at: datetime
    expires_at: datetime | None = None

    def usable_in(self, period: Period) -> bool:
        return self.granted_at < period.end and (self.expires_at is None or self.expires_at > period.start)


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractTerms:
    customer_id: str
    name: str
    currency: Currency
    billing_anchor_day: int  # day of month a billing period starts (1 = calendar months)
    proration: ProrationUnit
    subscriptions: tuple[Subscription, ...] = ()
    overrides: tuple[PriceOverride, ...] = ()
    discounts: tuple[Discount, ...] = ()
    commitments: tuple[Commitment, ...] = ()
    credits: tuple[CreditGrant, ...] = ()

    def override_for(self, product_code: str) -> Price | None:
        for o in self.overrides:
            if o.product_code == product_code:
                return o.price
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractVersion:
    version_id: str  # "<customer id>@<version>"
    customer_id: str
    version: int
    effective_from: datetime
    terms: ContractTerms
