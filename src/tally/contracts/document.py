"""The `customers:` section (and the API's contract documents): mapping → ContractTerms. Pure.

    - id: cust-ent-001
      name: Acme Search Ltd
      currency: USD
      billing_anchor: 1             # day of month; 1 = calendar months
      proration: second             # or day
      effective_from: 2026-01-01T00:00:00Z
      subscriptions: [{id: main, plan: enterprise, start: 2026-01-01T00:00:00Z, end: null}]
      overrides: {compute_m5_large: {model: per_unit, currency: USD, unit_price: "0.08"}}
      discounts: [{id: launch, percentage: "10", product: ingest_gb, start: …, end: …}]
      commitments: [{id: annual-min, amount: "5000.00", start: …, end: …}]
      credits: [{id: prepaid, amount: "2000.00", priority: 1, granted_at: …, expires_at: …},
                {id: free-search, units: 1000000, product: search_requests, …}]
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tally.catalog import fields as f
from tally.catalog.errors import CatalogInvalid
from tally.catalog.model import FlatPrice, Plan, Product
from tally.catalog.prices import parse_price
from tally.contracts.model import (
    Commitment,
    ContractTerms,
    CreditGrant,
    CreditKind,
    Discount,
    DiscountKind,
    PriceOverride,
    ProrationUnit,
    Subscription,
)
from tally.errors import UnknownCurrency
from tally.money import currency

_KEYS = frozenset({"id", "name", "currency", "billing_anchor", "proration", "effective_from", "subscriptions",
                   "overrides", "discounts", "commitments", "credits"})


def _range(m: Mapping[str, Any], path: str) -> tuple[datetime, datetime | None]:
    start = f.instant(m.get("start"), f.at(path, "start"))
    end = f.optional_instant(m, "end", path)
    if end is not None and end <= start:
        raise CatalogInvalid(f.at(path, "end"), f"must be after start {start.isoformat()}")
    return start, end


def _id(m: Mapping[str, Any], path: str, seen: set[str]) -> str:
    value = f.text(m, "id", path)
    if value in seen:
        raise CatalogInvalid(f.at(path, "id"), f"{value!r} is used twice")
    seen.add(value)
    return value


def parse_contract(data: object, path: str) -> tuple[ContractTerms, datetime]:
    """A contract document → its terms and the instant this version takes effect."""
    m = f.mapping(data, path)
    f.known_keys(m, path, _KEYS)
    customer_id = f.text(m, "id", path)
    try:
        cur = currency(f.text(m, "currency", path))
    except UnknownCurrency:
        raise CatalogInvalid(f.at(path, "currency"), f"unknown ISO 4217 currency code {m.get('currency')!r}") \
            from None
    anchor = m.get("billing_anchor", 1)
    if not isinstance(anchor, int) or isinstance(anchor, bool) or not 1 <= anchor <= 28:
        raise CatalogInvalid(f.at(path, "billing_anchor"), f"must be a day of month 1..28, got {anchor!r}")
    proration_text = f.text(m, "proration", path, default=ProrationUnit.SECOND.value)
    try:
        proration = ProrationUnit(proration_text)
    except ValueError:
        raise CatalogInvalid(f.at(path, "proration"), f"must be second or day, got {proration_text!r}") from None
    effective_from = f.instant(m.get("effective_from"), f.at(path, "effective_from"))

    subscriptions: list[Subscription] = []
    seen: set[str] = set()
    for i, raw in enumerate(f.sequence(m.get("subscriptions"), f.at(path, "subscriptions"))):
        here = f.at(f.at(path, "subscriptions"), i)
        s = f.mapping(raw, here)
        f.known_keys(s, here, frozenset({"id", "plan", "start", "end"}))
        start, end = _range(s, here)
        subscriptions.append(Subscription(subscription_id=_id(s, here, seen), plan_code=f.text(s, "plan", here),
                                          start=start, end=end))
    overrides: list[PriceOverride] = []
    opath = f.at(path, "overrides")
    for product_key, raw in f.mapping(m.get("overrides") or {}, opath).items():
        price = parse_price(raw, path=f.at(opath, str(product_key)), currencies=(cur.code,))
        overrides.append(PriceOverride(product_code=str(product_key), price=price))
    discounts: list[Discount] = []
    seen = set()
    for i, raw in enumerate(f.sequence(m.get("discounts"), f.at(path, "discounts"))):
        here = f.at(f.at(path, "discounts"), i)
        d = f.mapping(raw, here)
        f.known_keys(d, here, frozenset({"id", "percentage", "fixed", "product", "start", "end"}))
        if (d.get("percentage") is None) == (d.get("fixed") is None):
            raise CatalogInvalid(here, "needs exactly one of percentage or fixed")
        kind = DiscountKind.PERCENTAGE if d.get("percentage") is not None else DiscountKind.FIXED
        value = f.decimal(d[kind.value], f.at(here, kind.value))
        if kind is DiscountKind.PERCENTAGE and value > 100:
            raise CatalogInvalid(f.at(here, "percentage"), f"must be at most 100, got {value}")
        start, end = _range(d, here)
        discounts.append(Discount(discount_id=_id(d, here, seen), kind=kind, value=value,
                                  product_code=f.optional_text(d, "product", here), start=start, end=end))
    commitments: list[Commitment] = []
    seen = set()
    for i, raw in enumerate(f.sequence(m.get("commitments"), f.at(path, "commitments"))):
        here = f.at(f.at(path, "commitments"), i)
        c = f.mapping(raw, here)
        f.known_keys(c, here, frozenset({"id", "amount", "start", "end"}))
        start, end = _range(c, here)
        amount = f.decimal(c.get("amount"), f.at(here, "amount"))
        commitments.append(Commitment(commitment_id=_id(c, here, seen), amount=amount, start=start, end=end))
    credits: list[CreditGrant] = []
    seen = set()
    for i, raw in enumerate(f.sequence(m.get("credits"), f.at(path, "credits"))):
        here = f.at(f.at(path, "credits"), i)
        c = f.mapping(raw, here)
        f.known_keys(c, here, frozenset({"id", "amount", "units", "product", "priority", "granted_at",
                                         "expires_at"}))
        if (c.get("amount") is None) == (c.get("units") is None):
            raise CatalogInvalid(here, "needs exactly one of amount (money) or units (with product)")
        credit_kind = CreditKind.MONEY if c.get("amount") is not None else CreditKind.UNITS
        amount_key = "amount" if credit_kind is CreditKind.MONEY else "units"
        value = f.decimal(c[amount_key], f.at(here, amount_key))
        product = f.optional_text(c, "product", here)
        if credit_kind is CreditKind.UNITS and product is None:
            raise CatalogInvalid(f.at(here, "product"), "is required for a credit in units")
        if credit_kind is CreditKind.MONEY and product is not None:
            raise CatalogInvalid(f.at(here, "product"), "only credits in units name a product")
        priority = c.get("priority", 0)
        if not isinstance(priority, int) or isinstance(priority, bool):
            raise CatalogInvalid(f.at(here, "priority"), f"must be an integer, got {priority!r}")
        granted_at = f.instant(c.get("granted_at", m.get("effective_from")), f.at(here, "granted_at"))
        expires_at = f.optional_instant(c, "expires_at", here)
        if expires_at is not None and expires_at <= granted_at:
            raise CatalogInvalid(f.at(here, "expires_at"), "must be after granted_at")
        credits.append(CreditGrant(credit_id=_id(c, here, seen), kind=credit_kind, amount=value,
                                   product_code=product, priority=priority, granted_at=granted_at,
                                   expires_at=expires_at))
    terms = ContractTerms(customer_id=customer_id, name=f.text(m, "name", path, default=customer_id),
                          currency=cur, billing_anchor_day=anchor, proration=proration,
                          subscriptions=tuple(subscriptions), overrides=tuple(overrides), discounts=tuple(discounts),
                          commitments=tuple(commitments), credits=tuple(credits))
    return terms, effective_from


def check_contract(terms: ContractTerms, path: str, *, products: Mapping[str, Product],
                   plans: Mapping[str, Plan]) -> None:
    """References exist; the plans bill in the contract currency; no two subscriptions overlap on a product."""
    for i, sub in enumerate(terms.subscriptions):
        here = f.at(f.at(path, "subscriptions"), i)
        plan = plans.get(sub.plan_code)
        if plan is None:
            raise CatalogInvalid(f.at(here, "plan"), f"plan {sub.plan_code!r} does not exist")
        if plan.price_book_for(terms.currency.code) is None:
            raise CatalogInvalid(f.at(here, "plan"), f"plan {plan.code!r} has no {terms.currency.code} price book")
        for j, other in enumerate(terms.subscriptions[:i]):
            other_plan = plans[other.plan_code]
            shared = sorted(set(plan.products) & set(other_plan.products))
            overlap = (other.end is None or sub.start < other.end) and (sub.end is None or other.start < sub.end)
            if shared and overlap:
                raise CatalogInvalid(here, f"overlaps subscriptions[{j}] ({other.subscription_id}) on product "
                                     f"{shared[0]!r}: one product cannot be subscribed twice at the same time")
    for override in terms.overrides:
        here = f.at(f.at(path, "overrides"), override.product_code)
        product = products.get(override.product_code)
        if product is None:
            raise CatalogInvalid(here, f"product {override.product_code!r} does not exist")
        if product.is_metered == isinstance(override.price, FlatPrice):
            raise CatalogInvalid(f.at(here, "model"), "a fee product takes a flat price; a metered one does not")
    for i, d in enumerate(terms.discounts):
        if d.product_code is not None and d.product_code not in products:
            raise CatalogInvalid(f.at(f.at(f.at(path, "discounts"), i), "product"),
                                 f"product {d.product_code!r} does not exist")
    for i, c in enumerate(terms.credits):
        if c.product_code is not None and c.product_code not in products:
            raise CatalogInvalid(f.at(f.at(f.at(path, "credits"), i), "product"),
                                 f"product {c.product_code!r} does not exist")
