"""The price syntax round-trips: parse(price_to_mapping(p)) == p for any valid price."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tally.catalog.prices import parse_price, price_to_mapping

money = st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False)
unit_prices = st.decimals(min_value=0, max_value=100, places=12, allow_nan=False, allow_infinity=False)


@st.composite
def price_mappings(draw: st.DrawFn) -> dict[str, object]:
    model = draw(st.sampled_from(["flat", "per_unit", "package", "graduated", "volume"]))
    out: dict[str, object] = {"model": model, "currency": draw(st.sampled_from(["USD", "JPY", "KWD", "EUR"])),
                              "rounding": draw(st.sampled_from(["half_even", "half_up"])),
                              "included": str(draw(st.integers(0, 1000)))}
    if model == "flat":
        out["amount"] = str(draw(money))
        out["timing"] = draw(st.sampled_from(["in_advance", "in_arrears"]))
    elif model == "per_unit":
        out["unit_price"] = str(draw(unit_prices))
    elif model == "package":
        out["package"] = {"size": str(draw(st.integers(1, 10_000))), "price": str(draw(money))}
    else:
        bounds = sorted(set(draw(st.lists(st.integers(1, 10**6), max_size=4))))
        tiers: list[dict[str, object]] = [{"up_to": b, "unit_price": str(draw(unit_prices))} for b in bounds]
        tiers.append({"up_to": None, "unit_price": str(draw(unit_prices)), "flat_price": str(draw(money))})
        out["tiers"] = tiers
    if draw(st.booleans()):
        low = draw(money)
        out["minimum"], out["maximum"] = str(low), str(low + Decimal(draw(st.integers(0, 100))))
    return out


@settings(deadline=None)
@given(price_mappings())
def test_price_syntax_round_trips(mapping: dict[str, object]) -> None:
    price = parse_price(mapping)
    assert parse_price(price_to_mapping(price)) == price
