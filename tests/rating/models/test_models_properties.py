"""Properties of the pricing models (hypothesis): monotone, continuous, linear, consistent."""

from __future__ import annotations

from decimal import Decimal as D  # noqa: N817

from hypothesis import given, settings
from hypothesis import strategies as st

from tally.catalog.model import GraduatedPrice, PerUnitPrice, Tier, VolumePrice
from tally.money import Rounding, currency
from tally.rating.pricing import price_quantity, unrounded_amount

USD = currency("USD")
quantities = st.decimals(min_value=0, max_value=10**7, places=3, allow_nan=False, allow_infinity=False)
prices = st.decimals(min_value=0, max_value=100, places=6, allow_nan=False, allow_infinity=False)


@st.composite
def tier_tables(draw: st.DrawFn, flat: bool = False) -> tuple[Tier, ...]:
    bounds = sorted(set(draw(st.lists(st.integers(1, 10**6), max_size=4))))
    tiers = [Tier(up_to=D(b), unit_price=draw(prices), flat_price=draw(prices) if flat else D(0)) for b in bounds]
    tiers.append(Tier(up_to=None, unit_price=draw(prices), flat_price=draw(prices) if flat else D(0)))
    return tuple(tiers)


@settings(deadline=None)
@given(tier_tables(flat=True), quantities, quantities)
def test_graduated_non_decreasing(tiers: tuple[Tier, ...], a: D, b: D) -> None:
    price = GraduatedPrice(currency=USD, rounding=Rounding.HALF_EVEN, tiers=tiers)
    low, high = sorted((a, b))
    assert unrounded_amount(price, low)[0] <= unrounded_amount(price, high)[0]


@settings(deadline=None)
@given(tier_tables(), quantities)
def test_graduated_continuous_at_every_bound(tiers: tuple[Tier, ...], _q: D) -> None:
    price = GraduatedPrice(currency=USD, rounding=Rounding.HALF_EVEN, tiers=tiers)
    eps = D("0.000001")
    for tier in tiers:
        if tier.up_to is None:
            continue
        below = unrounded_amount(price, tier.up_to)[0]
        above = unrounded_amount(price, tier.up_to + eps)[0]
        # a step of eps units never costs more than eps × the dearest unit price
        assert D(0) <= above - below <= eps * max(t.unit_price for t in tiers)


@settings(deadline=None)
@given(prices, prices, quantities)
def test_volume_equals_graduated_with_one_tier(unit: D, flat: D, q: D) -> None:
    tier = (Tier(up_to=None, unit_price=unit, flat_price=flat),)
    graduated = GraduatedPrice(currency=USD, rounding=Rounding.HALF_EVEN, tiers=tier)
    volume = VolumePrice(currency=USD, rounding=Rounding.HALF_EVEN, tiers=tier)
    assert price_quantity(graduated, q).amount == price_quantity(volume, q).amount


@settings(deadline=None)
@given(prices, quantities, quantities)
def test_per_unit_linear_before_rounding(unit: D, a: D, b: D) -> None:
    price = PerUnitPrice(currency=USD, rounding=Rounding.HALF_EVEN, unit_price=unit)
    assert unrounded_amount(price, a + b)[0] == unrounded_amount(price, a)[0] + unrounded_amount(price, b)[0]


@settings(deadline=None)
@given(tier_tables(flat=True), quantities)
def test_explanation_sums_to_the_rounded_amount(tiers: tuple[Tier, ...], q: D) -> None:
    for price in (GraduatedPrice(currency=USD, rounding=Rounding.HALF_UP, tiers=tiers),
                  VolumePrice(currency=USD, rounding=Rounding.HALF_EVEN, tiers=tiers)):
        priced = price_quantity(price, q)
        assert sum((s.amount for s in priced.explanation), D(0)) == priced.amount.amount
        assert priced.amount.is_rounded
        assert price_quantity(price, D(0)).amount.amount == 0
