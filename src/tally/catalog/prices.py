"""The price syntax: a mapping (from YAML or JSON) → a typed price record. Pure, no I/O.

    model: graduated          # flat | per_unit | package | graduated | volume
    currency: USD
    unit_price: "0.10"        # per_unit
    package: {size: 1000, price: "5.00"}
    tiers: [{up_to: 1000, unit_price: "0", flat_price: "0"}, {up_to: null, unit_price: "0.005"}]
    amount: "49.00"           # flat (timing: in_advance | in_arrears)
    included: 0
    minimum: null
    maximum: null
    rounding: half_even       # or half_up

Every error names the exact place, e.g. `prices.instance_hours.tiers[2].up_to`.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Any

from tally.catalog import fields as f
from tally.catalog.errors import CatalogInvalid
from tally.catalog.model import (
    FeeTiming,
    FlatPrice,
    GraduatedPrice,
    PackagePrice,
    PerUnitPrice,
    Price,
    PriceModel,
    Tier,
    VolumePrice,
)
from tally.errors import UnknownCurrency
from tally.money import Rounding, currency

_COMMON = frozenset({"model", "currency", "included", "minimum", "maximum", "rounding"})
_KEYS: dict[PriceModel, frozenset[str]] = {
    PriceModel.FLAT: _COMMON | {"amount", "timing"},
    PriceModel.PER_UNIT: _COMMON | {"unit_price"},
    PriceModel.PACKAGE: _COMMON | {"package"},
    PriceModel.GRADUATED: _COMMON | {"tiers"},
    PriceModel.VOLUME: _COMMON | {"tiers"},
}
_ROUNDINGS = (Rounding.HALF_EVEN, Rounding.HALF_UP)


def parse_price(data: object, *, path: str = "", currencies: Collection[str] | None = None) -> Price:
    """Parse one price. `currencies`: the price book's currencies; a price in another is refused."""
    m = f.mapping(data, path)
    model_text = f.text(m, "model", path)
    try:
        model = PriceModel(model_text)
    except ValueError:
        raise CatalogInvalid(f.at(path, "model"), f"unknown pricing model {model_text!r}; one of "
                             f"{', '.join(p.value for p in PriceModel)}") from None
    f.known_keys(m, path, _KEYS[model])
    code = f.text(m, "currency", path)
    try:
        cur = currency(code)
    except UnknownCurrency:
        raise CatalogInvalid(f.at(path, "currency"), f"unknown ISO 4217 currency code {code!r}") from None
    if currencies is not None and cur.code not in currencies:
        raise CatalogInvalid(f.at(path, "currency"),
                             f"{cur.code} is not a currency of this price book ({', '.join(sorted(currencies))})")
    rounding_text = f.text(m, "rounding", path, default=Rounding.HALF_EVEN.value)
    if rounding_text not in {r.value for r in _ROUNDINGS}:
        raise CatalogInvalid(f.at(path, "rounding"), f"must be half_even or half_up, got {rounding_text!r}")
    minimum = f.optional_decimal(m, "minimum", path)
    maximum = f.optional_decimal(m, "maximum", path)
    if minimum is not None and maximum is not None and maximum < minimum:
        raise CatalogInvalid(f.at(path, "maximum"), f"{maximum} is below the minimum {minimum}")
    common: dict[str, Any] = {
        "currency": cur,
        "rounding": Rounding(rounding_text),
        "included": f.optional_decimal(m, "included", path) or Decimal(0),
        "minimum": minimum,
        "maximum": maximum,
    }
    places = f.UNIT_PRICE_PLACES_MAX
    if model is PriceModel.FLAT:
        amount = f.optional_decimal(m, "amount", path, places_max=places)
        if amount is None:
            raise CatalogInvalid(f.at(path, "amount"), "is required for a flat price")
        timing_text = f.text(m, "timing", path, default=FeeTiming.IN_ADVANCE.value)
        try:
            timing = FeeTiming(timing_text)
        except ValueError:
            raise CatalogInvalid(f.at(path, "timing"), f"must be in_advance or in_arrears, got {timing_text!r}") \
                from None
        return FlatPrice(amount=amount, timing=timing, **common)
    if model is PriceModel.PER_UNIT:
        unit_price = f.optional_decimal(m, "unit_price", path, places_max=places)
        if unit_price is None:
            raise CatalogInvalid(f.at(path, "unit_price"), "is required for a per_unit price")
        return PerUnitPrice(unit_price=unit_price, **common)
    if model is PriceModel.PACKAGE:
        package_path = f.at(path, "package")
        if m.get("package") is None:
            raise CatalogInvalid(package_path, "is required for a package price")
        package = f.mapping(m["package"], package_path)
        f.known_keys(package, package_path, frozenset({"size", "price"}))
        size = f.optional_decimal(package, "size", package_path)
        price = f.optional_decimal(package, "price", package_path, places_max=places)
        if size is None or size <= 0:
            raise CatalogInvalid(f.at(package_path, "size"), "must be a positive number of units")
        if price is None:
            raise CatalogInvalid(f.at(package_path, "price"), "is required")
        return PackagePrice(size=size, price=price, **common)
    tiers = parse_tiers(m.get("tiers"), f.at(path, "tiers"))
    if model is PriceModel.GRADUATED:
        return GraduatedPrice(tiers=tiers, **common)
    return VolumePrice(tiers=tiers, **common)


def parse_tiers(value: object, path: str) -> tuple[Tier, ...]:
    """Tiers are contiguous: each `up_to` (inclusive) is above the one before; only the last is null."""
    items = f.sequence(value, path)
    if not items:
        raise CatalogInvalid(path, "must list at least one tier")
    tiers: list[Tier] = []
    previous: Decimal | None = None
    for i, raw in enumerate(items):
        here = f.at(path, i)
        t = f.mapping(raw, here)
        f.known_keys(t, here, frozenset({"up_to", "unit_price", "flat_price"}))
        up_to = f.optional_decimal(t, "up_to", here)
        if up_to is None and i != len(items) - 1:
            raise CatalogInvalid(f.at(here, "up_to"), "null (no upper bound) is only allowed on the last tier; "
                                 "the tiers after it would never apply")
        if up_to is not None and up_to <= 0:
            raise CatalogInvalid(f.at(here, "up_to"), f"must be above zero, got {up_to}")
        if up_to is not None and previous is not None and up_to <= previous:
            raise CatalogInvalid(f.at(here, "up_to"), f"{up_to} overlaps the tier before it (which ends at "
                                 f"{previous}); bounds must increase")
        unit_price = f.optional_decimal(t, "unit_price", here, places_max=f.UNIT_PRICE_PLACES_MAX) or Decimal(0)
        flat_price = f.optional_decimal(t, "flat_price", here, places_max=f.UNIT_PRICE_PLACES_MAX) or Decimal(0)
        tiers.append(Tier(up_to=up_to, unit_price=unit_price, flat_price=flat_price))
        previous = up_to
    if tiers[-1].up_to is not None:
        raise CatalogInvalid(f.at(f.at(path, len(tiers) - 1), "up_to"),
                             f"the last tier ends at {tiers[-1].up_to}: quantities above it would have no price "
                             "(a gap); make the last up_to null")
    return tuple(tiers)


def price_to_mapping(price: Price) -> dict[str, Any]:
    """The price back in its own syntax (decimals as exact strings): for digests and display."""
    out: dict[str, Any] = {"model": price.model.value, "currency": price.currency.code,
                           "rounding": price.rounding.value, "included": str(price.included),
                           "minimum": None if price.minimum is None else str(price.minimum),
                           "maximum": None if price.maximum is None else str(price.maximum)}
    if isinstance(price, FlatPrice):
        out.update(amount=str(price.amount), timing=price.timing.value)
    elif isinstance(price, PerUnitPrice):
        out["unit_price"] = str(price.unit_price)
    elif isinstance(price, PackagePrice):
        out["package"] = {"size": str(price.size), "price": str(price.price)}
    else:
        out["tiers"] = [{"up_to": None if t.up_to is None else str(t.up_to), "unit_price": str(t.unit_price),
                         "flat_price": str(t.flat_price)} for t in price.tiers]
    return out
