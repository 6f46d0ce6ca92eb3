"""Rating use cases: load the contract and price book versions in force, ask the usage source for each
metered product, run the pure engine, and return the result with digests of every input.

`rate_customer` uses metering's rollups, `rate_customer_from_events` recomputes usage from raw
events; both take an optional `usage` source (tests pass a fake). Reads only: never writes or commits.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from tally.audit.canonical import digest
from tally.catalog.model import PriceBookVersion
from tally.catalog.service import CatalogView, catalog_view
from tally.contracts.service import UnitOfWork, contract_in_force, credit_remaining
from tally.errors import InvariantViolation
from tally.period import Period
from tally.rating.engine import ENGINE_VERSION, next_period, rate, usage_requests
from tally.rating.errors import NoPriceInForce
from tally.rating.model import RatingInputs, RatingResult
from tally.rating.usage_source import UsageSource, default_usage_source, events_usage_source


def rate_customer(uow: UnitOfWork, *, customer_id: str, period: Period, as_of: datetime,
                  usage: UsageSource | None = None) -> RatingResult:
    """Rate one customer's billing period with usage from rollups (or from `usage`, when given).

    Uses what was recorded by `as_of`: the contract version in force for the period, the price book
    version in force at the period start, and credit drawdowns recorded before `as_of`.
    """
    return _rate(uow, customer_id=customer_id, period=period, as_of=as_of,
                 usage=usage if usage is not None else default_usage_source())


def rate_customer_from_events(uow: UnitOfWork, *, customer_id: str, period: Period, as_of: datetime,
                              usage: UsageSource | None = None) -> RatingResult:
    """The same rating with usage recomputed from the raw events received by `as_of` (for verification:
    an invoice rated at `as_of` is recomputed from exactly what it could have seen)."""
    return _rate(uow, customer_id=customer_id, period=period, as_of=as_of,
                 usage=usage if usage is not None else events_usage_source(received_by=as_of))


def _books_in_force(catalog: CatalogView, codes: set[str], period: Period) -> dict[str, PriceBookVersion]:
    out: dict[str, PriceBookVersion] = {}
    for code in sorted(codes):
        book = catalog.book_in_force(code, period.start)
        if book is None:
            raise NoPriceInForce(code, period.start.isoformat())
        out[code] = book
    return out


def _rate(uow: UnitOfWork, *, customer_id: str, period: Period, as_of: datetime,
          usage: UsageSource) -> RatingResult:
    contract = contract_in_force(uow, customer_id=customer_id, period=period, as_of=as_of)
    catalog = catalog_view(uow, as_of=as_of)
    terms = contract.terms
    plans = {}
    for sub in terms.subscriptions:
        plan = catalog.plans.get(sub.plan_code)
        if plan is None:
            raise InvariantViolation(f"{contract.version_id}: plan {sub.plan_code!r} is not in the catalog")
        plans[plan.code] = plan
    book_codes = {code for plan in plans.values() if (code := plan.price_book_for(terms.currency.code))}
    books = _books_in_force(catalog, book_codes, period)
    next_books = _books_in_force(catalog, book_codes, next_period(period))
    requests = usage_requests(contract=contract, plans=plans, products=catalog.products, period=period)
    quantities: dict[tuple[str, str], Decimal] = {}
    used: list[dict[str, object]] = []
    for request in requests:
        amount = usage(uow, customer_id=customer_id, period=request.period, meter_slug=request.meter_slug,
                       group_filter=dict(request.group_filter) or None)
        quantities[request.key] = amount.quantity
        used.append({"subscription": request.subscription_id, "product": request.product_code,
                     "meter": amount.meter_slug, "meter_version": amount.meter_version,
                     "period": [request.period.start, request.period.end], "filter": request.group_filter,
                     "quantity": amount.quantity, "rollup_digest": amount.rollup_digest})
    balances = credit_remaining(uow, customer_id=customer_id, credits=terms.credits, before=as_of)
    result = rate(customer_id=customer_id, period=period, contract=contract, plans=plans,
                  products=catalog.products, price_books=books, usage=quantities, credit_balances=balances,
                  next_price_books=next_books)
    inputs = RatingInputs(
        contract_version_id=contract.version_id,
        price_book_version_id=",".join(sorted({b.version_id for b in (*books.values(), *next_books.values())})),
        usage_digest=digest(sorted(used, key=lambda u: (str(u["subscription"]), str(u["product"])))),
        engine_version=ENGINE_VERSION,
    )
    return RatingResult(customer_id=customer_id, currency=terms.currency, billing_period=period, lines=result.lines,
                        inputs=inputs, credit_drawdowns=result.drawdowns)
