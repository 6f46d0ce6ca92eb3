"""Worked examples for Money, Currency and rounding."""

from decimal import Decimal

import pytest

from tally.errors import CurrencyMismatch, InvalidInput, UnknownCurrency
from tally.money import CURRENCIES, Money, Rounding, allocate, ceil_div, currency, parse_decimal, round_to_minor

D = Decimal


@pytest.mark.parametrize(("code", "units"), [("USD", 2), ("EUR", 2), ("GBP", 2), ("JPY", 0), ("KWD", 3),
                                             ("CHF", 2), ("AUD", 2), ("CAD", 2), ("INR", 2), ("BRL", 2)])
def test_required_currencies_have_iso_minor_units(code: str, units: int) -> None:
    assert CURRENCIES[code].minor_units == units


@pytest.mark.parametrize(("amount", "code", "rounding", "expected"), [
    ("2.675", "USD", Rounding.HALF_EVEN, "2.68"),
    ("2.665", "USD", Rounding.HALF_EVEN, "2.66"),
    ("2.665", "USD", Rounding.HALF_UP, "2.67"),
    ("1.5", "JPY", Rounding.HALF_EVEN, "2"),
    ("2.5", "JPY", Rounding.HALF_EVEN, "2"),
    ("2.5", "JPY", Rounding.HALF_UP, "3"),
    ("0.0045", "KWD", Rounding.HALF_EVEN, "0.004"),
    ("0.0045", "KWD", Rounding.HALF_UP, "0.005"),
    ("-2.665", "USD", Rounding.HALF_UP, "-2.67"),
])
def test_round_to_minor_names_its_mode(amount: str, code: str, rounding: Rounding, expected: str) -> None:
    assert round_to_minor(D(amount), currency(code), rounding=rounding) == D(expected)


def test_money_refuses_float_and_mixing() -> None:
    with pytest.raises(InvalidInput):
        Money(0.1, currency("USD"))  # type: ignore[arg-type]
    with pytest.raises(CurrencyMismatch):
        Money.of("1", "USD") + Money.of("1", "EUR")
    with pytest.raises(UnknownCurrency):
        currency("XXX1")
    with pytest.raises(InvalidInput):
        Money.of("1", "USD") * 2.0  # type: ignore[operator]


def test_parse_and_format() -> None:
    assert Money.of("1234.5", "USD").rounded(rounding=Rounding.HALF_EVEN).format() == "USD 1,234.50"
    assert Money.of("1234.5", "USD").rounded(rounding=Rounding.HALF_EVEN).text() == "1234.50"
    assert Money.of("1234.5", "JPY").rounded(rounding=Rounding.HALF_UP).text() == "1235"
    assert Money.of("0.0041", "KWD").rounded(rounding=Rounding.HALF_EVEN).text() == "0.004"
    assert Money.of("12.30", "usd").to_minor_units() == 1230
    with pytest.raises(InvalidInput, match="not rounded"):
        Money.of("0.001", "USD").text()
    with pytest.raises(InvalidInput, match="not a decimal"):
        parse_decimal("1,5", field="price")
    with pytest.raises(InvalidInput, match="finite"):
        parse_decimal("NaN", field="price")


def test_ceil_div_counts_started_packages() -> None:
    assert ceil_div(D(1001), D(1000)) == 2
    assert ceil_div(D(1000), D(1000)) == 1
    assert ceil_div(D(0), D(1000)) == 0


def test_allocate_largest_remainder_with_stable_tiebreak() -> None:
    shares = allocate(Money.of("100.00", "USD"), [D(1), D(1), D(1)], rounding=Rounding.HALF_EVEN)
    assert [s.text() for s in shares] == ["33.34", "33.33", "33.33"]
    shares = allocate(Money.of("-0.05", "USD"), [D(1), D(1)], rounding=Rounding.HALF_EVEN)
    assert [s.text() for s in shares] == ["-0.03", "-0.02"]
