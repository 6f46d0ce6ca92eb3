"""Records the rating engine produces: priced lines with their explanations. No I/O.

These are the seam to invoicing: fields may be added, never renamed or removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from tally.money import Currency, Money
from tally.period import Period


class LineKind(StrEnum):
    USAGE = "usage"
    RECURRING_FEE = "recurring_fee"
    DISCOUNT = "discount"
    COMMITMENT_TRUE_UP = "commitment_true_up"
    CREDIT_APPLIED = "credit_applied"


@dataclass(frozen=True, slots=True, kw_only=True)
class RatingStep:
    """One readable step of how an amount was reached (a tier, a package count, an allowance)."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal  # unrounded; the line rounds once


@dataclass(frozen=True, slots=True, kw_only=True)
class RatedLine:
    """One priced line: what was sold, how much, and how the amount was reached."""

    line_key: str  # stable within (customer, billing period), e.g. "usage:instance-hours:m5.large"
    kind: LineKind
    customer_id: str
    product_code: str | None
    description: str
    service_period: Period  # the usage or service period the line covers, half-open
    quantity: Decimal
    unit: str
    unit_price: Decimal | None  # for display; None where tiers apply (see explanation)
    amount: Money  # rounded to the currency's minor unit, once; negative for discounts and credits
    explanation: tuple[RatingStep, ...]
    price_version_id: str | None
    revenue_category: str  # the product line revenue is reported under, e.g. "compute"


@dataclass(frozen=True, slots=True, kw_only=True)
class RatingInputs:
    """Digests of everything a rating used, so an invoice can be recomputed and proven later."""

    contract_version_id: str
    price_book_version_id: str
    usage_digest: str
    engine_version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditDrawdown:
    credit_id: str
    amount: Money  # the money value drawn (for a credit in units: what those units would have cost)
    remaining: Money  # money credits: balance left after this draw; unit credits: zero (see units_remaining)
    kind: str = "money"  # "money" | "units"
    units: Decimal | None = None  # unit credits: units drawn
    units_remaining: Decimal | None = None
    line_key: str = ""  # the CREDIT_APPLIED line this draw produced
    customer_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RatingResult:
    customer_id: str
    currency: Currency
    billing_period: Period
    lines: tuple[RatedLine, ...]
    inputs: RatingInputs
    credit_drawdowns: tuple[CreditDrawdown, ...] = ()
