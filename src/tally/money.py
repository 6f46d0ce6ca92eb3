"""Money and currencies: the only module that rounds.

Amounts are `Decimal`, never `float`; every rounding names its mode; arithmetic refuses to
mix currencies. Never reads the clock or the environment.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from tally.errors import CurrencyMismatch, InvalidInput, UnknownCurrency

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Currency:
    """An ISO 4217 currency and the number of digits after its decimal point."""

    code: str
    minor_units: int

    @property
    def minor_unit_exponent(self) -> Decimal:
        """The quantum one minor unit is: `0.01` for USD, `1` for JPY, `0.001` for KWD."""
        return Decimal(1).scaleb(-self.minor_units)

    def __str__(self) -> str:
        return self.code


# ISO 4217 minor units. Kept explicit (not from a library) so that a review sees every entry.
_MINOR_UNITS: dict[str, int] = {
    "USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "KWD": 3, "CHF": 2, "AUD": 2, "CAD": 2, "INR": 2,
    "BRL": 2, "CNY": 2, "SEK": 2, "NOK": 2, "DKK": 2, "NZD": 2, "SGD": 2, "HKD": 2, "KRW": 0,
    "MXN": 2, "ZAR": 2, "PLN": 2, "CZK": 2, "ILS": 2, "AED": 2, "SAR": 2, "BHD": 3, "OMR": 3,
    "JOD": 3, "TND": 3, "CLP": 0, "ISK": 0, "VND": 0, "HUF": 2, "TRY": 2, "IDR": 2, "THB": 2,
}
CURRENCIES: dict[str, Currency] = {code: Currency(code, units) for code, units in _MINOR_UNITS.items()}


def currency(code: str) -> Currency:
    """Look up a currency by its ISO 4217 code; unknown codes raise `UnknownCurrency`."""
    found = CURRENCIES.get(code.upper()) if isinstance(code, str) else None
    if found is None:
        raise UnknownCurrency(code)
    return found


class Rounding(StrEnum):
    """How an amount is rounded to the minor unit. There is no default: callers name one."""

    HALF_EVEN = "half_even"
    HALF_UP = "half_up"
    UP = "up"
    DOWN = "down"

    @property
    def decimal_mode(self) -> str:
        return _DECIMAL_MODES[self]


_DECIMAL_MODES = {
    Rounding.HALF_EVEN: decimal.ROUND_HALF_EVEN,
    Rounding.HALF_UP: decimal.ROUND_HALF_UP,
    Rounding.UP: decimal.ROUND_UP,
    Rounding.DOWN: decimal.ROUND_DOWN,
}


def round_to_minor(amount: Decimal, currency: Currency, *, rounding: Rounding) -> Decimal:
    """Round once, at the line. The caller names the rounding mode; there is no default."""
    return _require_decimal(amount, "amount").quantize(currency.minor_unit_exponent, rounding=rounding.decimal_mode)


def ceil_div(numerator: Decimal, denominator: Decimal) -> Decimal:
    """Smallest integer >= numerator / denominator (for 'every started package counts')."""
    if denominator <= 0:
        raise InvalidInput("denominator", f"must be positive, got {denominator}")
    quotient = numerator / denominator
    return quotient.to_integral_value(rounding=decimal.ROUND_CEILING)


def parse_decimal(text: str | int | Decimal, *, field: str) -> Decimal:
    """Read an exact decimal from text (or an int). Floats are refused: they are not exact."""
    if isinstance(text, (bool, float)):  # float-ok: refusing floats
        raise InvalidInput(field, f"must be a decimal string, not a binary float ({text!r})")
    if isinstance(text, Decimal):
        value = text
    elif isinstance(text, int):
        value = Decimal(text)
    elif isinstance(text, str):
        try:
            value = Decimal(text.strip())
        except decimal.InvalidOperation:
            raise InvalidInput(field, f"is not a decimal number: {text!r}") from None
    else:
        raise InvalidInput(field, f"must be a decimal string, got {type(text).__name__}")
    if not value.is_finite():
        raise InvalidInput(field, f"must be finite, got {text!r}")
    return value


def _require_decimal(value: object, field: str) -> Decimal:
    if not isinstance(value, Decimal):
        raise InvalidInput(field, f"must be a Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise InvalidInput(field, f"must be finite, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency. May hold sub-minor precision until it is rounded."""

    amount: Decimal
    currency: Currency

    def __post_init__(self) -> None:
        _require_decimal(self.amount, "amount")
        if not isinstance(self.currency, Currency):
            raise InvalidInput("currency", f"must be a Currency, got {type(self.currency).__name__}")

    @classmethod
    def of(cls, amount: str | int | Decimal, code: str) -> Money:
        """Parse from text: `Money.of("12.30", "USD")`."""
        return cls(parse_decimal(amount, field="amount"), currency(code))

    @classmethod
    def zero(cls, cur: Currency | str) -> Money:
        return cls(ZERO, cur if isinstance(cur, Currency) else currency(cur))

    @classmethod
    def from_minor_units(cls, minor: int, cur: Currency) -> Money:
        return cls(Decimal(minor).scaleb(-cur.minor_units), cur)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise InvalidInput("other", f"must be Money, got {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(self.currency.code, other.currency.code)

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal) -> Money:
        return Money(self.amount * _require_decimal(factor, "factor"), self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def is_zero(self) -> bool:
        return self.amount == 0

    def rounded(self, *, rounding: Rounding) -> Money:
        return Money(round_to_minor(self.amount, self.currency, rounding=rounding), self.currency)

    @property
    def is_rounded(self) -> bool:
        return self.amount == self.amount.quantize(self.currency.minor_unit_exponent)

    def to_minor_units(self) -> int:
        """Exact integer of minor units; refuses an amount that is not rounded."""
        if not self.is_rounded:
            raise InvalidInput("amount", f"{self.amount} is not rounded to {self.currency.code} minor units")
        return int(self.amount.scaleb(self.currency.minor_units))

    def text(self) -> str:
        """The amount as an exact string with exactly the currency's minor-unit digits."""
        if not self.is_rounded:
            raise InvalidInput("amount", f"{self.amount} is not rounded to {self.currency.code} minor units")
        return f"{self.amount.quantize(self.currency.minor_unit_exponent):f}"

    def format(self) -> str:
        """Human form with thousands separators: `USD 1,234.50`, `JPY 1,235`."""
        q = self.amount.quantize(self.currency.minor_unit_exponent) if self.is_rounded else self.amount
        return f"{self.currency.code} {q:,f}"

    def __str__(self) -> str:
        return self.format()


def sum_money(items: Iterable[Money], cur: Currency) -> Money:
    """Sum amounts of one currency; an empty sum is zero in `cur`."""
    total = Money.zero(cur)
    for item in items:
        total = total + item
    return total


def allocate(total: Money, weights: Sequence[Decimal], *, rounding: Rounding) -> tuple[Money, ...]:
    """Split a rounded total by weights with largest remainder; ties go to the earliest share.

    The shares always sum exactly to `total`: no minor unit is created or lost.
    """
    if not weights:
        raise InvalidInput("weights", "must not be empty")
    if any(w < 0 for w in weights):
        raise InvalidInput("weights", "must not be negative")
    weight_sum = sum(weights, ZERO)
    if weight_sum == 0:
        raise InvalidInput("weights", "must not all be zero")
    total_minor = total.rounded(rounding=rounding).to_minor_units()
    sign = -1 if total_minor < 0 else 1
    magnitude = abs(total_minor)
    exact = [Decimal(magnitude) * w / weight_sum for w in weights]
    floors = [int(e.to_integral_value(rounding=decimal.ROUND_FLOOR)) for e in exact]
    remaining = magnitude - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:remaining]:
        floors[i] += 1
    return tuple(Money.from_minor_units(sign * f, total.currency) for f in floors)
