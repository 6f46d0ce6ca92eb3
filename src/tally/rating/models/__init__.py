"""Pricing models, one file each, and the registry that picks one by the price's model.

An unknown model raises `UnknownPricingModel`; it never falls through.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tally.catalog.model import Price, PriceModel
from tally.rating.errors import UnknownPricingModel
from tally.rating.models.base import Rated
from tally.rating.models.flat import rate_flat
from tally.rating.models.graduated import rate_graduated
from tally.rating.models.package import rate_package
from tally.rating.models.per_unit import rate_per_unit
from tally.rating.models.volume import rate_volume

REGISTRY: dict[PriceModel, Callable[[Decimal, Any], Rated]] = {
    PriceModel.FLAT: rate_flat,
    PriceModel.PER_UNIT: rate_per_unit,
    PriceModel.PACKAGE: rate_package,
    PriceModel.GRADUATED: rate_graduated,
    PriceModel.VOLUME: rate_volume,
}


def model_for(price: Price) -> Callable[[Decimal, Any], Rated]:
    found = REGISTRY.get(getattr(price, "model", None))  # type: ignore[arg-type]
    if found is None:
        raise UnknownPricingModel(getattr(price, "model", type(price).__name__))
    return found


__all__ = ["REGISTRY", "Rated", "model_for"]
