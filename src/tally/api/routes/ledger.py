"""HTTP routes of the ledger area, mounted under /api/v1. Reports need ledger:read (viewer, finance,
auditor, billing, admin); closing and reopening need ledger:write (admin, finance). Each route calls one
service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from tally.access.model import Permission
from tally.api.security import get_tally, require
from tally.audit.model import Actor
from tally.ledger import reports, serialize, service
from tally.period import Period

router = APIRouter(tags=["ledger"])
READ = Depends(require(Permission.LEDGER_READ))
WRITE = Depends(require(Permission.LEDGER_WRITE))


class ReopenRequest(BaseModel):
    reason: str


@router.get("/periods")
def list_periods(request: Request, _actor: Actor = READ) -> dict[str, Any]:
    return {"items": [serialize.period_json(p) for p in service.list_periods(get_tally(request).uow_factory)]}


@router.post("/periods/{period}/close")
def close_period(period: str, request: Request, actor: Actor = WRITE) -> dict[str, Any]:
    tally = get_tally(request)
    report = service.close_period(tally.uow_factory, Period.month(period), actor=actor, clock=tally.clock)
    return serialize.close_json(report)


@router.post("/periods/{period}/reopen")
def reopen_period(period: str, body: ReopenRequest, request: Request, actor: Actor = WRITE) -> dict[str, Any]:
    tally = get_tally(request)
    row = service.reopen_period(tally.uow_factory, Period.month(period), reason=body.reason, actor=actor,
                                clock=tally.clock)
    return serialize.period_json(row)


@router.get("/periods/{period}/reconciliation")
def reconcile_period(period: str, request: Request, _actor: Actor = READ) -> dict[str, Any]:
    tally = get_tally(request)
    checks = service.reconcile(tally.uow_factory, Period.month(period), clock=tally.clock)
    return {"period": period, "passed": all(c.passed for c in checks),
            "checks": [serialize.check_json(c) for c in checks]}


@router.get("/ledger/trial-balance")
def trial_balance(request: Request, period: str, _actor: Actor = READ) -> dict[str, Any]:
    return serialize.trial_balance_json(reports.trial_balance(get_tally(request).uow_factory, Period.month(period)))


@router.get("/ledger/revenue")
def revenue(request: Request, period: str, by: str = "product", _actor: Actor = READ) -> dict[str, Any]:
    rows = reports.revenue(get_tally(request).uow_factory, Period.month(period), by=by)
    return {"period": period, "by": by, "items": serialize.revenue_rows(rows)}


@router.get("/ledger/deferred")
def deferred(request: Request, period: str, _actor: Actor = READ) -> dict[str, Any]:
    rows = reports.deferred_rollforward(get_tally(request).uow_factory, Period.month(period))
    return {"period": period, "items": serialize.rollforward_rows(rows)}


@router.get("/ledger/unbilled")
def unbilled(request: Request, period: str, _actor: Actor = READ) -> dict[str, Any]:
    rows = reports.unbilled(get_tally(request).uow_factory, Period.month(period))
    return {"period": period, "items": serialize.unbilled_rows(rows)}


@router.get("/ledger/waterfall")
def waterfall(request: Request, period: str, _actor: Actor = READ) -> dict[str, Any]:
    rows = reports.waterfall(get_tally(request).uow_factory, Period.month(period))
    return {"period": period, "items": serialize.waterfall_rows(rows)}


@router.get("/ledger/entries")
def entries(request: Request, period: str, account: str | None = None, customer_id: str | None = None,
            limit: int = Query(200, ge=1, le=reports.ENTRIES_LIMIT_MAX), _actor: Actor = READ) -> dict[str, Any]:
    rows = reports.entries(get_tally(request).uow_factory, Period.month(period), account=account,
                           customer_id=customer_id, limit=limit)
    return {"period": period, "items": serialize.line_rows(rows)}


@router.get("/ledger/gl-export")
def gl_export(request: Request, period: str, _actor: Actor = READ) -> Response:
    text = reports.gl_export(get_tally(request).uow_factory, Period.month(period))
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="gl-{period}.csv"'})
