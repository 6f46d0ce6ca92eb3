"""HTTP routes of the catalog area, mounted under /api/v1: the catalog, customers, credits, rating, quotes.

Each route parses, calls one service function, and formats.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from tally.access.model import Permission
from tally.api.security import get_tally, require
from tally.audit.model import Actor
from tally.bootstrap import Tally
from tally.catalog import service as catalog_service
from tally.catalog.present import apply_json, catalog_json
from tally.contracts import service as contracts_service
from tally.errors import InvalidInput
from tally.period import Period, parse_instant
from tally.rating import service as rating_service
from tally.rating.present import result_json
from tally.rating.quote import quote, quote_json

router = APIRouter(tags=["catalog"])


async def _body_text(request: Request, tally: Tally) -> str:
    body = await request.body()
    limit = tally.settings.request_bytes_max
    if len(body) > limit:
        raise InvalidInput("body", f"is {len(body)} bytes; the limit is {limit} (request_bytes_max)")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("body", "must be UTF-8 text (YAML or JSON)") from None


@router.get("/catalog")
def get_catalog(tally: Tally = Depends(get_tally),
                _actor: Actor = Depends(require(Permission.CATALOG_READ))) -> dict[str, Any]:
    """Products, plans and every price book version (prices in the price syntax)."""
    return catalog_json(catalog_service.show_catalog(tally.uow_factory))


_TEXT_BODY = {"requestBody": {"required": True, "content": {
    "application/yaml": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "object"}}}}}


@router.post("/catalog/apply", openapi_extra=_TEXT_BODY)
async def apply_catalog(request: Request, dry_run: bool = Query(False), tally: Tally = Depends(get_tally),
                        actor: Actor = Depends(require(Permission.CATALOG_WRITE))) -> dict[str, Any]:
    """Apply a catalog file (YAML or JSON body, the same syntax as `tally catalog apply`): all or nothing."""
    text = await _body_text(request, tally)
    return apply_json(catalog_service.apply_catalog(tally.uow_factory, text, actor=actor, clock=tally.clock,
                                                    dry_run=dry_run))


@router.post("/prices/quote", openapi_extra=_TEXT_BODY)
async def quote_price(request: Request, quantity: str = Query(...), tally: Tally = Depends(get_tally),
                      _actor: Actor = Depends(require(Permission.CATALOG_READ))) -> dict[str, Any]:
    """The amount of `quantity` under the price in the body (price syntax, YAML or JSON)."""
    return quote_json(quote(await _body_text(request, tally), quantity))


@router.get("/customers")
def list_customers(tally: Tally = Depends(get_tally),
                   _actor: Actor = Depends(require(Permission.CATALOG_READ))) -> list[dict[str, Any]]:
    with tally.uow_factory() as uow:
        contracts = contracts_service.latest_contracts(uow)
    return [{"customer_id": c.customer_id, "name": c.terms.name, "currency": c.terms.currency.code,
             "contract_version_id": c.version_id, "effective_from": c.effective_from.isoformat(),
             "plans": sorted({s.plan_code for s in c.terms.subscriptions})}
            for c in sorted(contracts, key=lambda c: c.customer_id)]


@router.get("/customers/{customer_id}/credits")
def customer_credits(customer_id: str, tally: Tally = Depends(get_tally),
                     _actor: Actor = Depends(require(Permission.CATALOG_READ))) -> list[dict[str, Any]]:
    with tally.uow_factory() as uow:
        balances = contracts_service.credit_balances(uow, customer_id=customer_id, as_of=tally.clock.now())
    return [{"credit_id": b.credit_id, "kind": b.kind.value, "unit": b.unit, "granted": f"{b.granted:f}",
             "drawn": f"{b.drawn:f}", "remaining": f"{b.remaining:f}",
             "expires_at": b.expires_at.isoformat() if b.expires_at else None, "expired": b.expired}
            for b in balances]


@router.get("/credits/breakage")
def credit_breakage(tally: Tally = Depends(get_tally),
                    _actor: Actor = Depends(require(Permission.LEDGER_READ))) -> list[dict[str, Any]]:
    """Expired prepaid credits with a remainder, across customers."""
    with tally.uow_factory() as uow:
        report = contracts_service.breakage_report(uow, as_of=tally.clock.now())
    return [{"customer_id": b.customer_id, "credit_id": b.credit_id, "kind": b.kind.value, "unit": b.unit,
             "granted": f"{b.granted:f}", "remaining": f"{b.remaining:f}",
             "expires_at": b.expires_at.isoformat() if b.expires_at else None} for b in report]


@router.get("/customers/{customer_id}/rating")
def customer_rating(customer_id: str, period: str = Query(..., description="YYYY-MM"),
                    as_of: str | None = Query(None, description="RFC 3339; default now"),
                    tally: Tally = Depends(get_tally),
                    _actor: Actor = Depends(require(Permission.INVOICES_READ))) -> dict[str, Any]:
    """The rated lines of one customer's period, with explanations (a preview: nothing is written)."""
    instant: datetime = parse_instant(as_of, field="as_of") if as_of else tally.clock.now()
    with tally.uow_factory() as uow:
        result = rating_service.rate_customer(uow, customer_id=customer_id, period=Period.month(period),
                                              as_of=instant)
    return result_json(result)


class SubscribeRequest(BaseModel):
    """Subscribe many customers to one plan from one instant (the self-serve sign-up path)."""

    customer_ids: list[str] = Field(min_length=1)
    plan: str
    start: str = Field(description="RFC 3339 instant")
    currency: str = "USD"
    proration: str = "second"


@router.post("/customers/subscribe")
def subscribe(body: SubscribeRequest, tally: Tally = Depends(get_tally),
              actor: Actor = Depends(require(Permission.CATALOG_WRITE))) -> list[dict[str, Any]]:
    start = parse_instant(body.start, field="start")
    customers = [contracts_service.NewCustomer(customer_id=c, plan_code=body.plan, start=start, currency=body.currency,
                                               proration=body.proration) for c in body.customer_ids]
    changes = contracts_service.subscribe_customers(tally.uow_factory, customers, actor=actor, clock=tally.clock)
    return [{"customer_id": c.code, "action": c.action.value, "version": c.version} for c in changes]
