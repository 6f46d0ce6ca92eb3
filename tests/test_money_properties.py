"""Hypothesis: money is never created or lost by arithmetic, rounding bounds, or allocation."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tally.money import CURRENCIES, Money, Rounding, allocate, round_to_minor, sum_money

codes = st.sampled_from(sorted(CURRENCIES))
amounts = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), allow_nan=False,
                      allow_infinity=False, places=6)
modes = st.sampled_from(list(Rounding))


@given(codes, amounts, modes)
def test_rounding_moves_less_than_one_minor_unit(code: str, amount: Decimal, mode: Rounding) -> None:
    cur = CURRENCIES[code]
    rounded = round_to_minor(amount, cur, rounding=mode)
    assert abs(rounded - amount) < cur.minor_unit_exponent
    assert round_to_minor(rounded, cur, rounding=mode) == rounded


@given(codes, st.lists(amounts, max_size=20))
def test_sum_is_exact(code: str, values: list[Decimal]) -> None:
    cur = CURRENCIES[code]
    assert sum_money((Money(v, cur) for v in values), cur).amount == sum(values, Decimal(0))


@given(codes, amounts, st.lists(st.decimals(min_value=0, max_value=1000, places=3), min_size=1, max_size=12),
       modes)
def test_allocation_conserves_the_total(code: str, amount: Decimal, weights: list[Decimal], mode: Rounding) -> None:
    if sum(weights) == 0:
        weights = [*weights[:-1], Decimal(1)]
    cur = CURRENCIES[code]
    total = Money(amount, cur).rounded(rounding=mode)
    shares = allocate(total, weights, rounding=mode)
    assert sum_money(shares, cur) == total
    assert all(s.is_rounded for s in shares)


@given(codes, amounts, amounts)
def test_addition_then_subtraction_is_identity(code: str, a: Decimal, b: Decimal) -> None:
    cur = CURRENCIES[code]
    assert (Money(a, cur) + Money(b, cur)) - Money(b, cur) == Money(a, cur)
