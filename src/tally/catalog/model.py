"""Records of the catalog stage: products, prices, price books, plans. Frozen, no I/O.

A price is a typed record per pricing model (never a property bag). Amounts in prices are exact
decimals in the price's currency; unit prices may carry up to 12 decimal places.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from tally.money import Currency, Rounding


class PriceModel(StrEnum):
    FLAT = "flat"
    PER_UNIT = "per_unit"
    PACKAGE = "package"
    GRADUATED = "graduated"
    VOLUME = "volume"


class FeeTiming(StrEnum):
    """When a flat recurring fee is billed: for the coming period, or for the period just served."""

    IN_ADVANCE = "in_advance"
    IN_ARREARS = "in_arrears"


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceBase:
    """What every price has: currency, rounding, free allowance, per-charge minimum and maximum."""

    model: ClassVar[PriceModel]
    currency: Currency
    rounding: Rounding
    included: Decimal = Decimal(0)  # free units, taken off the quantity first
    minimum: Decimal | None = None  # per-charge minimum amount (before rounding)
    maximum: Decimal | None = None  # per-charge maximum amount


@dataclass(frozen=True, slots=True, kw_only=True)
class FlatPrice(PriceBase):
    """A recurring fee: `amount` per billing period; quantity is the prorated share of the period."""

    model: ClassVar[PriceModel] = PriceModel.FLAT
    amount: Decimal
    timing: FeeTiming = FeeTiming.IN_ADVANCE


@dataclass(frozen=True, slots=True, kw_only=True)
class PerUnitPrice(PriceBase):
    model: ClassVar[PriceModel] = PriceModel.PER_UNIT
    unit_price: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class PackagePrice(PriceBase):
    """Every started block of `size` units costs `price`: partial blocks round up."""

    model: ClassVar[PriceModel] = PriceModel.PACKAGE
    size: Decimal
    price: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Tier:
    """Units up to and including `up_to` (None: no upper bound) at `unit_price`, plus `flat_price` once."""

    up_to: Decimal | None
    unit_price: Decimal
    flat_price: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class GraduatedPrice(PriceBase):
    """Each unit is priced by the tier it falls in; a tier's flat fee is charged once it is entered."""

    model: ClassVar[PriceModel] = PriceModel.GRADUATED
    tiers: tuple[Tier, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class VolumePrice(PriceBase):
    """All units are priced by the one tier the total quantity falls in (plus that tier's flat fee)."""

    model: ClassVar[PriceModel] = PriceModel.VOLUME
    tiers: tuple[Tier, ...]


Price = FlatPrice | PerUnitPrice | PackagePrice | GraduatedPrice | VolumePrice


@dataclass(frozen=True, slots=True, kw_only=True)
class Product:
    """Something sold. Metered products read one meter (optionally one group); others are fees."""

    code: str
    name: str
    meter_slug: str | None
    group_filter: tuple[tuple[str, str], ...] = ()  # sorted (key, value) pairs
    unit: str = "unit"
    revenue_category: str = "general"

    @property
    def is_metered(self) -> bool:
        return self.meter_slug is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceBookVersion:
    """The prices of one price book from `effective_from` on. A new version never changes a past period."""

    version_id: str  # "<book code>@<version>"
    price_book_code: str
    version: int
    currencies: tuple[str, ...]
    effective_from: datetime
    prices: tuple[tuple[str, Price], ...]  # (product code, price), sorted by code

    def price_for(self, product_code: str) -> Price | None:
        for code, price in self.prices:
            if code == product_code:
                return price
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """A bundle of products; its prices come from the price book of the customer's currency."""

    code: str
    name: str
    products: tuple[str, ...]
    price_books: tuple[tuple[str, str], ...]  # (currency code, price book code)

    def price_book_for(self, currency_code: str) -> str | None:
        for code, book in self.price_books:
            if code == currency_code:
                return book
        return None
