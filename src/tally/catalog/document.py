"""The catalog file: products, price books (versions effective from an instant), plans. Pure, no I/O.

Every entity is parsed from its own mapping (the same mapping is stored as the version's
document), and every error names the exact place in the file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tally.catalog import fields as f
from tally.catalog.errors import CatalogInvalid
from tally.catalog.model import FlatPrice, Plan, PriceBookVersion, Product
from tally.catalog.prices import parse_price
from tally.errors import UnknownCurrency
from tally.money import currency

TOP_LEVEL_KEYS = frozenset({"meters", "products", "price_books", "plans", "customers"})
_PRODUCT_KEYS = frozenset({"code", "name", "meter", "filter", "unit", "revenue_category"})
_BOOK_KEYS = frozenset({"code", "name", "currencies", "versions"})
_VERSION_KEYS = frozenset({"version", "effective_from", "prices"})
_PLAN_KEYS = frozenset({"code", "name", "products", "price_books"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One parsed entity, the mapping it came from (stored as its document), and where it was."""

    code: str
    path: str
    document: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductEntry(Entry):
    product: Product


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceBookVersionEntry(Entry):
    book: PriceBookVersion


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanEntry(Entry):
    plan: Plan


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogDocument:
    meters: tuple[Mapping[str, Any], ...]
    products: tuple[ProductEntry, ...]
    price_book_versions: tuple[PriceBookVersionEntry, ...]
    plans: tuple[PlanEntry, ...]
    customers: tuple[Mapping[str, Any], ...]  # parsed by tally.contracts.document


def _code(data: Mapping[str, Any], path: str, key: str = "code") -> str:
    value = f.text(data, key, path)
    if len(value) > 100 or any(c.isspace() for c in value):
        raise CatalogInvalid(f.at(path, key), f"must be at most 100 characters without spaces, got {value!r}")
    return value


def parse_product(data: object, path: str) -> Product:
    m = f.mapping(data, path)
    f.known_keys(m, path, _PRODUCT_KEYS)
    group: list[tuple[str, str]] = []
    if m.get("filter") is not None:
        raw_filter = f.mapping(m["filter"], f.at(path, "filter"))
        for key, value in raw_filter.items():
            if not isinstance(value, str | int) or isinstance(value, bool):
                raise CatalogInvalid(f.at(f.at(path, "filter"), str(key)), "must be a string")
            group.append((str(key), str(value)))
    meter = f.optional_text(m, "meter", path)
    if group and meter is None:
        raise CatalogInvalid(f.at(path, "filter"), "needs a meter to filter")
    return Product(code=_code(m, path), name=f.text(m, "name", path, default=str(m.get("code"))),
                   meter_slug=meter, group_filter=tuple(sorted(group)),
                   unit=f.text(m, "unit", path, default="unit"),
                   revenue_category=f.text(m, "revenue_category", path, default="general"))


def parse_price_book_version(data: object, path: str) -> PriceBookVersion:
    """A stored price book version document: the book's header plus one version."""
    m = f.mapping(data, path)
    f.known_keys(m, path, _BOOK_KEYS - {"versions"} | _VERSION_KEYS)
    code = _code(m, path)
    currencies = _currencies(m, path)
    version = m.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CatalogInvalid(f.at(path, "version"), f"must be a positive integer, got {version!r}")
    effective_from = f.instant(m.get("effective_from"), f.at(path, "effective_from"))
    prices_path = f.at(path, "prices")
    prices_map = f.mapping(m.get("prices") or {}, prices_path)
    prices = tuple(sorted(
        ((str(product), parse_price(raw, path=f.at(prices_path, str(product)), currencies=currencies))
         for product, raw in prices_map.items()), key=lambda pair: pair[0]))
    return PriceBookVersion(version_id=f"{code}@{version}", price_book_code=code, version=version,
                            currencies=currencies, effective_from=effective_from, prices=prices)


def _currencies(m: Mapping[str, Any], path: str) -> tuple[str, ...]:
    raw = f.sequence(m.get("currencies"), f.at(path, "currencies"))
    if not raw:
        raise CatalogInvalid(f.at(path, "currencies"), "must list at least one currency")
    out: list[str] = []
    for i, code in enumerate(raw):
        try:
            out.append(currency(str(code)).code)
        except UnknownCurrency:
            raise CatalogInvalid(f.at(f.at(path, "currencies"), i), f"unknown ISO 4217 currency code {code!r}") \
                from None
    return tuple(sorted(set(out)))


def parse_plan(data: object, path: str) -> Plan:
    m = f.mapping(data, path)
    f.known_keys(m, path, _PLAN_KEYS)
    products = tuple(str(p) for p in f.sequence(m.get("products"), f.at(path, "products")))
    if not products:
        raise CatalogInvalid(f.at(path, "products"), "must list at least one product")
    if len(set(products)) != len(products):
        raise CatalogInvalid(f.at(path, "products"), "lists a product twice")
    books_path = f.at(path, "price_books")
    books = f.mapping(m.get("price_books") or {}, books_path)
    if not books:
        raise CatalogInvalid(books_path, "must map at least one currency to a price book, e.g. {USD: list-usd}")
    pairs: list[tuple[str, str]] = []
    for code, book in books.items():
        try:
            cur = currency(str(code)).code
        except UnknownCurrency:
            raise CatalogInvalid(f.at(books_path, str(code)), "is not an ISO 4217 currency code") from None
        pairs.append((cur, str(book)))
    return Plan(code=_code(m, path), name=f.text(m, "name", path, default=str(m.get("code"))), products=products,
                price_books=tuple(sorted(pairs)))


def parse_document(data: object) -> CatalogDocument:
    """Parse a whole catalog file. Each entity on its own; references are checked by `check_references`."""
    if data is None:
        data = {}
    m = f.mapping(data, "")
    f.known_keys(m, "", TOP_LEVEL_KEYS)
    products: list[ProductEntry] = []
    seen: dict[str, str] = {}
    for i, raw in enumerate(f.sequence(m.get("products"), "products")):
        path = f.at("products", i)
        product = parse_product(raw, path)
        _unique(seen, "product", product.code, f.at(path, "code"))
        products.append(ProductEntry(code=product.code, path=path, document=raw, product=product))
    versions: list[PriceBookVersionEntry] = []
    seen = {}
    for i, raw in enumerate(f.sequence(m.get("price_books"), "price_books")):
        path = f.at("price_books", i)
        book = f.mapping(raw, path)
        f.known_keys(book, path, _BOOK_KEYS)
        code = _code(book, path)
        _unique(seen, "price book", code, f.at(path, "code"))
        header = {k: book[k] for k in ("code", "name", "currencies") if k in book}
        previous: PriceBookVersion | None = None
        raw_versions = f.sequence(book.get("versions"), f.at(path, "versions"))
        if not raw_versions:
            raise CatalogInvalid(f.at(path, "versions"), "must list at least one version")
        for j, raw_version in enumerate(raw_versions):
            vpath = f.at(f.at(path, "versions"), j)
            version_map = f.mapping(raw_version, vpath)
            f.known_keys(version_map, vpath, _VERSION_KEYS)
            document = {**header, **version_map}
            try:
                parsed = parse_price_book_version(document, vpath)
            except CatalogInvalid as exc:
                if exc.field.startswith(f"{vpath}.code") or exc.field.startswith(f"{vpath}.currencies") \
                        or exc.field.startswith(f"{vpath}.name"):
                    raise CatalogInvalid(path + exc.field[len(vpath):], exc.reason) from None
                raise
            if previous is not None and (parsed.version <= previous.version
                                         or parsed.effective_from <= previous.effective_from):
                raise CatalogInvalid(vpath, "versions must be listed in order: each with a higher version number "
                                     "and a later effective_from than the one before")
            versions.append(PriceBookVersionEntry(code=code, path=vpath, document=document, book=parsed))
            previous = parsed
    plans: list[PlanEntry] = []
    seen = {}
    for i, raw in enumerate(f.sequence(m.get("plans"), "plans")):
        path = f.at("plans", i)
        plan = parse_plan(raw, path)
        _unique(seen, "plan", plan.code, f.at(path, "code"))
        plans.append(PlanEntry(code=plan.code, path=path, document=raw, plan=plan))
    meters = tuple(f.mapping(x, f.at("meters", i)) for i, x in enumerate(f.sequence(m.get("meters"), "meters")))
    customers = tuple(f.mapping(x, f.at("customers", i))
                      for i, x in enumerate(f.sequence(m.get("customers"), "customers")))
    return CatalogDocument(meters=meters, products=tuple(products), price_book_versions=tuple(versions),
                           plans=tuple(plans), customers=customers)


def _unique(seen: dict[str, str], kind: str, code: str, path: str) -> None:
    if code in seen:
        raise CatalogInvalid(path, f"{kind} {code!r} is defined twice (first at {seen[code]})")
    seen[code] = path


def check_references(
    document: CatalogDocument,
    *,
    products: Mapping[str, Product],
    plans: Mapping[str, Plan],
    book_versions: Sequence[PriceBookVersion],
    meter_slugs: frozenset[str],
) -> None:
    """Cross-checks on the merged view (what is stored, overlaid with this document).

    Every product's meter exists; every plan product exists and has a price, in the plan's currency,
    in every version of each of the plan's price books; a fee product (no meter) is priced flat.
    """
    for entry in document.products:
        slug = entry.product.meter_slug
        if slug is not None and slug not in meter_slugs:
            raise CatalogInvalid(f.at(entry.path, "meter"), f"meter {slug!r} is not defined in this file's meters "
                                 "section nor known already")
    for book_entry in document.price_book_versions:
        for code, _ in book_entry.book.prices:
            if code not in products:
                raise CatalogInvalid(f.at(f.at(book_entry.path, "prices"), code), f"product {code!r} does not exist")
    for plan_entry in document.plans:
        _check_plan(plan_entry.plan, plan_entry.path, products, book_versions)
    checked = {e.code for e in document.plans}
    changed_books = {e.book.price_book_code for e in document.price_book_versions}
    for plan in plans.values():  # stored plans must still be priced by the new versions
        if plan.code not in checked and any(book in changed_books for _, book in plan.price_books):
            _check_plan(plan, f"price_books (plan {plan.code})", products, book_versions)


def _check_plan(plan: Plan, path: str, products: Mapping[str, Product],
                book_versions: Sequence[PriceBookVersion]) -> None:
    for i, code in enumerate(plan.products):
        if code not in products:
            raise CatalogInvalid(f.at(f.at(path, "products"), i), f"product {code!r} does not exist")
    for cur, book_code in plan.price_books:
        versions = [v for v in book_versions if v.price_book_code == book_code]
        where = f.at(f.at(path, "price_books"), cur)
        if not versions:
            raise CatalogInvalid(where, f"price book {book_code!r} does not exist")
        for version in versions:
            if cur not in version.currencies:
                raise CatalogInvalid(where, f"price book {book_code!r} has no {cur} prices")
            for i, code in enumerate(plan.products):
                price = version.price_for(code)
                here = f.at(f.at(path, "products"), i)
                if price is None:
                    raise CatalogInvalid(here, f"product {code!r} has no price in {version.version_id}")
                if price.currency.code != cur:
                    raise CatalogInvalid(here, f"the price of {code!r} in {version.version_id} is in "
                                         f"{price.currency.code}, the plan bills it in {cur}")
                product = products[code]
                if not product.is_metered and not isinstance(price, FlatPrice):
                    raise CatalogInvalid(here, f"product {code!r} has no meter, so its price in "
                                         f"{version.version_id} must be flat (a recurring fee)")
                if product.is_metered and isinstance(price, FlatPrice):
                    raise CatalogInvalid(here, f"product {code!r} is metered; a flat price belongs to a fee "
                                         "product without a meter")
