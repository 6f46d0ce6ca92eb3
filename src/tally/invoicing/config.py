"""Billing configuration: seller details, payment terms, customers' jurisdictions, tax rates.

Read from a YAML file (path in `TALLY_BILLING_CONFIG`, via `Settings.billing_config_path`); every
field has a sensible default so that Tally bills without one. Rates are read from their text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from tally.errors import InvalidInput
from tally.invoicing.tax import JurisdictionTax
from tally.money import parse_decimal

DEFAULT_TERMS_DAYS = 30
TERMS_DAYS_MAX = 365


@dataclass(frozen=True, slots=True, kw_only=True)
class Party:
    name: str
    address: tuple[str, ...] = ()
    tax_id: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerTerms:
    party: Party | None = None
    jurisdiction: str | None = None
    payment_terms_days: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BillingConfig:
    seller: Party = field(default_factory=lambda: Party(name="Tally Demo Ltd", address=("1 Meter Street", "London"),
                                                        tax_id="GB000000000"))
    number_prefix: str = "TLY"  # the legal entity's prefix: invoice series TLY-2026, credit notes TLY-CN-2026
    payment_terms_days: int = DEFAULT_TERMS_DAYS
    tax_rates: Mapping[str, Decimal] = field(default_factory=dict)
    default_jurisdiction: str | None = None
    customers: Mapping[str, CustomerTerms] = field(default_factory=dict)

    def terms_days_for(self, customer_id: str) -> int:
        terms = self.customers.get(customer_id)
        if terms is not None and terms.payment_terms_days is not None:
            return terms.payment_terms_days
        return self.payment_terms_days

    def buyer(self, customer_id: str) -> Party:
        terms = self.customers.get(customer_id)
        return terms.party if terms is not None and terms.party is not None else Party(name=customer_id)

    def tax_calculator(self) -> JurisdictionTax:
        return JurisdictionTax(
            rates=self.tax_rates, default_jurisdiction=self.default_jurisdiction,
            customers={c: t.jurisdiction for c, t in self.customers.items() if t.jurisdiction is not None})


def load_billing_config(path: Path | None) -> BillingConfig:
    """The configuration in `path`, or the defaults when no file is configured."""
    if path is None:
        return BillingConfig()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise InvalidInput("TALLY_BILLING_CONFIG", f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise InvalidInput("TALLY_BILLING_CONFIG", f"{path} is not valid YAML: {exc}") from None
    return parse_billing_config(raw)


def parse_billing_config(raw: Any) -> BillingConfig:
    if not isinstance(raw, Mapping):
        raise InvalidInput("billing config", "must be a mapping")
    seller = _party(raw.get("seller"), "seller") if raw.get("seller") is not None else BillingConfig().seller
    tax = raw.get("tax") or {}
    if not isinstance(tax, Mapping):
        raise InvalidInput("tax", "must be a mapping")
    rates_raw = tax.get("rates") or {}
    if not isinstance(rates_raw, Mapping):
        raise InvalidInput("tax.rates", "must map a jurisdiction to a rate")
    rates = {str(k): _rate(v, f"tax.rates.{k}") for k, v in rates_raw.items()}
    customers_raw = raw.get("customers") or {}
    if not isinstance(customers_raw, Mapping):
        raise InvalidInput("customers", "must map a customer id to its terms")
    customers: dict[str, CustomerTerms] = {}
    for cid, entry in customers_raw.items():
        where = f"customers.{cid}"
        if not isinstance(entry, Mapping):
            raise InvalidInput(where, "must be a mapping")
        jurisdiction = entry.get("jurisdiction")
        if jurisdiction is not None and str(jurisdiction) not in rates:
            raise InvalidInput(f"{where}.jurisdiction", f"{jurisdiction!r} has no rate in tax.rates")
        customers[str(cid)] = CustomerTerms(
            party=_party(entry, where) if entry.get("name") else None,
            jurisdiction=None if jurisdiction is None else str(jurisdiction),
            payment_terms_days=_terms(entry.get("payment_terms_days"), f"{where}.payment_terms_days"))
    default_jurisdiction = tax.get("default_jurisdiction")
    if default_jurisdiction is not None and str(default_jurisdiction) not in rates:
        raise InvalidInput("tax.default_jurisdiction", f"{default_jurisdiction!r} has no rate in tax.rates")
    terms = _terms(raw.get("payment_terms_days"), "payment_terms_days")
    prefix = str(raw.get("number_prefix", "TLY"))
    return BillingConfig(seller=seller, number_prefix=prefix,
                         payment_terms_days=DEFAULT_TERMS_DAYS if terms is None else terms, tax_rates=rates,
                         default_jurisdiction=None if default_jurisdiction is None else str(default_jurisdiction),
                         customers=customers)


def _party(raw: Any, where: str) -> Party:
    if not isinstance(raw, Mapping) or not raw.get("name"):
        raise InvalidInput(f"{where}.name", "is required")
    address = raw.get("address") or ()
    if isinstance(address, str):
        address = tuple(part.strip() for part in address.split("\n") if part.strip())
    return Party(name=str(raw["name"]), address=tuple(str(a) for a in address),
                 tax_id=None if raw.get("tax_id") is None else str(raw["tax_id"]),
                 email=None if raw.get("email") is None else str(raw["email"]))


def _rate(value: Any, where: str) -> Decimal:
    if isinstance(value, float):  # float-ok: refusing floats
        raise InvalidInput(where, f"write the rate as a quoted decimal string (e.g. \"0.19\"), not {value!r}")
    rate = parse_decimal(value if isinstance(value, (int, str)) else str(value), field=where)
    if not Decimal(0) <= rate < Decimal(1):
        raise InvalidInput(where, f"must be a fraction in [0, 1), got {rate}")
    return rate


def _terms(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= TERMS_DAYS_MAX:
        raise InvalidInput(where, f"must be a whole number of days in 0..{TERMS_DAYS_MAX}, got {value!r}")
    return value
