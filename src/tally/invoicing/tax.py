"""Tax: pluggable. The default applies a rate per customer jurisdiction, per line, rounded per line.

Prepaid credits applied are a means of payment, not a supply: they carry no tax. Never reads
the clock or the environment; the configuration is handed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from tally.invoicing.model import TaxAssessment
from tally.money import Money, Rounding, round_to_minor
from tally.rating.model import LineKind, RatedLine

UNTAXED_KINDS = frozenset({LineKind.CREDIT_APPLIED})


def plain(value: Decimal) -> Decimal:
    """No negative zero: `-0.00` and `0.00` are equal but print (and digest) differently, and
    PostgreSQL NUMERIC does not keep the sign of zero."""
    return abs(value) if value.is_zero() else value


class TaxCalculator(Protocol):
    def assess(self, line: RatedLine) -> TaxAssessment: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class JurisdictionTax:
    """`rates` maps a jurisdiction to a rate (0.19 = 19 %); `customers` maps a customer to a jurisdiction."""

    rates: Mapping[str, Decimal] = field(default_factory=dict)
    customers: Mapping[str, str] = field(default_factory=dict)
    default_jurisdiction: str | None = None
    rounding: Rounding = Rounding.HALF_EVEN

    def jurisdiction_of(self, customer_id: str) -> str | None:
        return self.customers.get(customer_id, self.default_jurisdiction)

    def assess(self, line: RatedLine) -> TaxAssessment:
        jurisdiction = self.jurisdiction_of(line.customer_id)
        rate = Decimal(0)
        if jurisdiction is not None and line.kind not in UNTAXED_KINDS:
            rate = self.rates.get(jurisdiction, Decimal(0))
        amount = plain(round_to_minor(line.amount.amount * rate, line.amount.currency, rounding=self.rounding))
        return TaxAssessment(jurisdiction=jurisdiction, rate=rate, amount=Money(amount, line.amount.currency))


def tax_at(rate: Decimal, jurisdiction: str | None, net: Money, *, rounding: Rounding) -> TaxAssessment:
    """The tax on `net` at a known rate (credit notes reuse the rate of the line they credit)."""
    amount = plain(round_to_minor(net.amount * rate, net.currency, rounding=rounding))
    return TaxAssessment(jurisdiction=jurisdiction, rate=rate, amount=Money(amount, net.currency))
