"""Small catalogs and contracts for pure rating tests, written in the real YAML syntax."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tally.catalog.document import parse_document
from tally.catalog.model import Plan, PriceBookVersion, Product
from tally.catalog.yamlexact import load_yaml
from tally.contracts.document import check_contract, parse_contract
from tally.contracts.model import ContractVersion
from tally.period import Period
from tally.rating.engine import EngineResult, rate, usage_requests

CATALOG = """
products:
  - {code: platform, name: Platform fee}
  - {code: platform_arrears, name: Support fee}
  - {code: compute, name: Compute hours, meter: instance_hours, filter: {size: m5.large}, unit: hour,
     revenue_category: compute}
  - {code: search, name: Search requests, meter: search_requests, unit: request, revenue_category: search}
price_books:
  - code: list-usd
    currencies: [USD]
    versions:
      - version: 1
        effective_from: 2026-01-01T00:00:00Z
        prices:
          platform: {model: flat, currency: USD, amount: "30.00"}
          platform_arrears: {model: flat, currency: USD, amount: "30.00", timing: in_arrears}
          compute: {model: per_unit, currency: USD, unit_price: "0.10"}
          search:
            model: graduated
            currency: USD
            tiers:
              - {up_to: 1000, unit_price: "0"}
              - {up_to: null, unit_price: "0.001"}
plans:
  - {code: basic, name: Basic, products: [platform, compute, search], price_books: {USD: list-usd}}
  - {code: pro, name: Pro, products: [platform_arrears, compute, search], price_books: {USD: list-usd}}
"""


def catalog() -> tuple[dict[str, Product], dict[str, Plan], dict[str, PriceBookVersion]]:
    doc = parse_document(load_yaml(CATALOG))
    products = {e.code: e.product for e in doc.products}
    plans = {e.code: e.plan for e in doc.plans}
    books = {e.book.price_book_code: e.book for e in doc.price_book_versions}
    return products, plans, books


def contract(text: str, version: int = 1) -> ContractVersion:
    products, plans, _ = catalog()
    terms, effective_from = parse_contract(load_yaml(text), "customers[0]")
    check_contract(terms, "customers[0]", products=products, plans=plans)
    return ContractVersion(version_id=f"{terms.customer_id}@{version}", customer_id=terms.customer_id,
                           version=version, effective_from=effective_from, terms=terms)


def run(contract_version: ContractVersion, period: Period, usage_by_product: Mapping[str, str],
        balances: Mapping[str, Decimal] | None = None) -> EngineResult:
    products, plans, books = catalog()
    requests = usage_requests(contract=contract_version, plans=plans, products=products, period=period)
    usage = {r.key: Decimal(usage_by_product.get(r.product_code, "0")) for r in requests}
    return rate(customer_id=contract_version.customer_id, period=period, contract=contract_version, plans=plans,
                products=products, price_books=books, usage=usage, credit_balances=balances or {})


def amounts(result: EngineResult) -> dict[str, str]:
    return {ln.line_key: ln.amount.text() for ln in result.lines}


def base_contract(**extra: Any) -> str:
    lines = ["id: c1", "currency: USD", "effective_from: 2026-01-01T00:00:00Z"]
    lines += [f"{k}: {v}" for k, v in extra.items()]
    return "\n".join(lines)
