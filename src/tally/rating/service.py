"""Rating use cases: load the contract and price book versions in force, ask the usage source for each
metered product, run the pure engine, and return the result with digests of every input.

`rate_customers` rates a batch (a billing run's): the catalog, the contracts, the credits drawn and the
usage of every customer are read once for the batch, then each customer is rated in memory.
`rate_customer` is a batch of one, so both give the same answer. `rate_customer_from_events` recomputes
usage from raw events. All take an optional `usage` source (tests pass a fake). Reads only: never
writes or commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tally.audit.canonical import digest
from tally.catalog.model import Plan, PriceBookVersion
from tally.catalog.service import CatalogView, catalog_view
from tally.contracts.model import ContractVersion
from tally.contracts.service import (
    UnitOfWork,
    contracts_in_force,
    credits_drawn,
    credits_left,
    no_contract_in_force,
)
from tally.errors import InvariantViolation, TallyError
from tally.period import Period
from tally.rating.engine import ENGINE_VERSION, UsageRequest, next_period, rate, usage_requests
from tally.rating.errors import NoPriceInForce
from tally.rating.model import RatingInputs, RatingResult
from tally.rating.usage_source import (
    UsageSource,
    default_usage_source,
    events_usage_source,
    prefetch_usage,
)


def rate_customer(uow: UnitOfWork, *, customer_id: str, period: Period, as_of: datetime,
                  usage: UsageSource | None = None) -> RatingResult:
    """Rate one customer's billing period with usage from rollups (or from `usage`, when given).

    Uses what was recorded by `as_of`: the contract version in force for the period, the price book
    version in force at the period start, and credit drawdowns recorded before `as_of`.
    """
    return rate_customers(uow, customer_ids=[customer_id], period=period, as_of=as_of, usage=usage).rate(customer_id)


def rate_customer_from_events(uow: UnitOfWork, *, customer_id: str, period: Period, as_of: datetime,
                              usage: UsageSource | None = None) -> RatingResult:
    """The same rating with usage recomputed from the raw events received by `as_of` (for verification:
    an invoice rated at `as_of` is recomputed from exactly what it could have seen)."""
    source = usage if usage is not None else events_usage_source(received_by=as_of)
    return rate_customers(uow, customer_ids=[customer_id], period=period, as_of=as_of, usage=source).rate(customer_id)


def rate_customers(uow: UnitOfWork, *, customer_ids: Sequence[str], period: Period, as_of: datetime,
                   usage: UsageSource | None = None) -> CustomerRatings:
    """Everything needed to rate these customers' `period` as of `as_of`, read once; `.rate(c)` rates one.

    A customer whose inputs are wrong (no contract, no price in force) fails alone, when it is rated.
    """
    return CustomerRatings(uow, customer_ids=customer_ids, period=period, as_of=as_of,
                           usage=usage if usage is not None else default_usage_source())


@dataclass(frozen=True, slots=True)
class _Prepared:
    """One customer's inputs that do not depend on usage."""

    contract: ContractVersion
    plans: dict[str, Plan]
    books: dict[str, PriceBookVersion]
    next_books: dict[str, PriceBookVersion]
    requests: tuple[UsageRequest, ...]


class CustomerRatings:
    """The inputs of a batch of ratings (one period, one instant, one transaction) and the rating of each.

    Holds the batch's catalog view, contracts, credits drawn and usage; trusts that none of them changes
    while it lives (it lives inside one unit of work that does not write them).
    """

    def __init__(self, uow: UnitOfWork, *, customer_ids: Sequence[str], period: Period, as_of: datetime,
                 usage: UsageSource) -> None:
        self._uow = uow
        self._period = period
        self._as_of = as_of
        self._usage = usage
        wanted = list(dict.fromkeys(customer_ids))
        catalog = catalog_view(uow, as_of=as_of)
        self._catalog = catalog
        contracts = contracts_in_force(uow, customer_ids=wanted, period=period, as_of=as_of)
        self._prepared: dict[str, _Prepared | Exception] = {}
        for customer_id in wanted:
            contract = contracts.get(customer_id)
            if contract is None:
                self._prepared[customer_id] = no_contract_in_force(customer_id, period=period, as_of=as_of)
                continue
            try:
                self._prepared[customer_id] = _prepare(catalog, contract, period)
            except Exception as exc:  # this customer's failure, raised when it is rated (a bug included)
                self._prepared[customer_id] = exc
        needs: dict[tuple[str, Period], list[str]] = {}
        for customer_id, prepared in self._prepared.items():
            if isinstance(prepared, _Prepared):
                for request in prepared.requests:
                    needs.setdefault((request.meter_slug, request.period), []).append(customer_id)
        for (meter_slug, request_period), customers in needs.items():
            # a failure here (no such meter) is raised again by each customer's own read: it fails them alone
            with suppress(TallyError):
                prefetch_usage(usage, uow, customer_ids=list(dict.fromkeys(customers)), period=request_period,
                               meter_slug=meter_slug)
        with_credits = [c for c, p in self._prepared.items() if isinstance(p, _Prepared) and p.contract.terms.credits]
        self._drawn = credits_drawn(uow, customer_ids=with_credits, before=as_of) if with_credits else {}

    def rate(self, customer_id: str) -> RatingResult:
        prepared = self._prepared.get(customer_id)
        if prepared is None:
            raise InvariantViolation(f"{customer_id} was not part of this rating batch")
        if isinstance(prepared, Exception):
            raise prepared
        return self._rate(customer_id, prepared)

    def _rate(self, customer_id: str, prepared: _Prepared) -> RatingResult:
        period = self._period
        quantities: dict[tuple[str, str], Decimal] = {}
        used: list[dict[str, object]] = []
        for request in prepared.requests:
            amount = self._usage(self._uow, customer_id=customer_id, period=request.period,
                                 meter_slug=request.meter_slug, group_filter=dict(request.group_filter) or None)
            quantities[request.key] = amount.quantity
            used.append({"subscription": request.subscription_id, "product": request.product_code,
                         "meter": amount.meter_slug, "meter_version": amount.meter_version,
                         "period": [request.period.start, request.period.end], "filter": request.group_filter,
                         "quantity": amount.quantity, "rollup_digest": amount.rollup_digest})
        contract = prepared.contract
        terms = contract.terms
        balances = credits_left(terms.credits, self._drawn.get(customer_id, {}))
        result = rate(customer_id=customer_id, period=period, contract=contract, plans=prepared.plans,
                      products=self._catalog.products, price_books=prepared.books, usage=quantities,
                      credit_balances=balances, next_price_books=prepared.next_books)
        book_ids = {b.version_id for b in (*prepared.books.values(), *prepared.next_books.values())}
        inputs = RatingInputs(
            contract_version_id=contract.version_id,
            price_book_version_id=",".join(sorted(book_ids)),
            usage_digest=digest(sorted(used, key=lambda u: (str(u["subscription"]), str(u["product"])))),
            engine_version=ENGINE_VERSION,
        )
        return RatingResult(customer_id=customer_id, currency=terms.currency, billing_period=period,
                            lines=result.lines, inputs=inputs, credit_drawdowns=result.drawdowns)


def _books_in_force(catalog: CatalogView, codes: set[str], period: Period) -> dict[str, PriceBookVersion]:
    out: dict[str, PriceBookVersion] = {}
    for code in sorted(codes):
        book = catalog.book_in_force(code, period.start)
        if book is None:
            raise NoPriceInForce(code, period.start.isoformat())
        out[code] = book
    return out


def _prepare(catalog: CatalogView, contract: ContractVersion, period: Period) -> _Prepared:
    terms = contract.terms
    plans: dict[str, Plan] = {}
    for sub in terms.subscriptions:
        plan = catalog.plans.get(sub.plan_code)
        if plan is None:
            raise InvariantViolation(f"{contract.version_id}: plan {sub.plan_code!r} is not in the catalog")
        plans[plan.code] = plan
    book_codes = {code for plan in plans.values() if (code := plan.price_book_for(terms.currency.code))}
    return _Prepared(contract=contract, plans=plans, books=_books_in_force(catalog, book_codes, period),
                     next_books=_books_in_force(catalog, book_codes, next_period(period)),
                     requests=usage_requests(contract=contract, plans=plans, products=catalog.products,
                                             period=period))

