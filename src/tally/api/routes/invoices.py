"""HTTP routes of the invoices area, mounted under /api/v1. Each route calls one service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from tally.access.model import Permission
from tally.api.security import get_tally, require
from tally.audit.model import Actor
from tally.invoicing import documents, service
from tally.invoicing.billing_run import run_billing
from tally.invoicing.serialize import diff_json, invoice_json, note_json
from tally.invoicing.wiring import BillingDeps, billing_deps
from tally.money import parse_decimal
from tally.period import Period

router = APIRouter(tags=["invoices"])
READ = Depends(require(Permission.INVOICES_READ))
WRITE = Depends(require(Permission.INVOICES_WRITE))


def _deps(request: Request) -> BillingDeps:
    return billing_deps(get_tally(request).settings)


def _month(text: str | None) -> Period | None:
    return None if text is None else Period.month(text)


class BillingRunRequest(BaseModel):
    period: str = Field(description="Billing period YYYY-MM; it must have ended")
    customers: list[str] | None = Field(default=None, description="Only these customers; omit for all billable")
    issue: bool = False
    dry_run: bool = False


class ReasonRequest(BaseModel):
    reason: str


class CreditNoteRequest(BaseModel):
    reason: str
    lines: dict[str, str] | None = Field(default=None, description="line key → net amount as a decimal string; "
                                                                   "omit for a full credit note")


@router.post("/billing-runs")
def create_billing_run(body: BillingRunRequest, request: Request, actor: Actor = WRITE) -> dict[str, Any]:
    tally = get_tally(request)
    report = run_billing(tally.uow_factory, period=Period.month(body.period), deps=_deps(request), actor=actor,
                         clock=tally.clock, customers=body.customers, issue=body.issue, dry_run=body.dry_run)
    return {"run_id": report.run_id, "period": report.period.label, "dry_run": report.dry_run, "issue": report.issue,
            "customers": report.customers_seen, "counts": report.counts, "ok": report.ok,
            "failures": [{"customer_id": f.customer_id, "code": f.code, "detail": f.detail} for f in report.failures]}


@router.get("/invoices")
def list_invoices(request: Request, period: str | None = None, customer_id: str | None = None,
                  status: str | None = None, limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0),
                  _actor: Actor = READ) -> dict[str, Any]:
    found = service.list_invoices(get_tally(request).uow_factory, period=_month(period), customer_id=customer_id,
                                  status=status, limit=limit, offset=offset)
    return {"items": [invoice_json(i) for i in found], "limit": limit, "offset": offset}


@router.get("/invoices/export")
def export_invoices(request: Request, period: str, format: str = "json", _actor: Actor = READ) -> Response:
    text = documents.export_documents(get_tally(request).uow_factory, period=Period.month(period), fmt=format)
    return Response(text, media_type=documents.EXPORT_FORMATS[format])


@router.get("/invoices/{ref}")
def get_invoice(ref: str, request: Request, _actor: Actor = READ) -> dict[str, Any]:
    return invoice_json(service.get_invoice(get_tally(request).uow_factory, ref))


@router.get("/invoices/{ref}/document")
def invoice_document(ref: str, request: Request, format: str = "pdf", _actor: Actor = READ) -> Response:
    doc = documents.render_document(get_tally(request).uow_factory, ref, config=_deps(request).config, fmt=format)
    return Response(doc.content, media_type=doc.media_type,
                    headers={"Content-Disposition": f'inline; filename="{doc.filename}"'})


@router.post("/invoices/{ref}/issue")
def issue_invoice(ref: str, request: Request, actor: Actor = WRITE) -> dict[str, Any]:
    tally = get_tally(request)
    return invoice_json(service.issue_invoice(tally.uow_factory, ref, deps=_deps(request), actor=actor,
                                              clock=tally.clock))


@router.post("/invoices/{ref}/refresh")
def refresh_invoice(ref: str, request: Request, actor: Actor = WRITE) -> dict[str, Any]:
    tally = get_tally(request)
    return invoice_json(service.refresh_invoice(tally.uow_factory, ref, deps=_deps(request), actor=actor,
                                                clock=tally.clock))


@router.post("/invoices/{ref}/pay")
def pay_invoice(ref: str, request: Request, actor: Actor = WRITE) -> dict[str, Any]:
    tally = get_tally(request)
    return invoice_json(service.pay_invoice(tally.uow_factory, ref, actor=actor, clock=tally.clock))


@router.post("/invoices/{ref}/void")
def void_invoice(ref: str, body: ReasonRequest, request: Request, actor: Actor = WRITE) -> dict[str, Any]:
    tally = get_tally(request)
    voided = service.void_invoice(tally.uow_factory, ref, deps=_deps(request), reason=body.reason, actor=actor,
                                  clock=tally.clock)
    return {"invoice": invoice_json(voided.invoice),
            "credit_note": note_json(voided.credit_note) if voided.credit_note else None}


@router.get("/invoices/{ref}/rerate")
def rerate_invoice(ref: str, request: Request, _actor: Actor = READ) -> dict[str, Any]:
    tally = get_tally(request)
    rerated = service.rerate_invoice(tally.uow_factory, ref, deps=_deps(request), clock=tally.clock)
    return {"invoice": rerated.invoice.number, "net_delta": rerated.net_delta.text(),
            "differences": [diff_json(d) for d in rerated.differences],
            "would_issue": "credit_note" if rerated.credit_lines else
            "adjustment_invoice" if rerated.adjustment_lines else None}


@router.post("/invoices/{ref}/corrections")
def correct_invoice(ref: str, body: ReasonRequest, request: Request, actor: Actor = WRITE) -> dict[str, Any]:
    tally = get_tally(request)
    done = service.issue_correction(tally.uow_factory, ref, deps=_deps(request), reason=body.reason, actor=actor,
                                    clock=tally.clock)
    return {"invoice": done.invoice.number, "differences": [diff_json(d) for d in done.differences],
            "credit_note": note_json(done.credit_note) if done.credit_note else None,
            "adjustment": invoice_json(done.adjustment) if done.adjustment else None}


@router.get("/invoices/{ref}/verify")
def verify_invoice(ref: str, request: Request, _actor: Actor = READ) -> dict[str, Any]:
    result = service.verify_invoice(get_tally(request).uow_factory, ref, deps=_deps(request))
    return {"number": result.number, "matches": result.matches, "problems": list(result.problems),
            "differences": [diff_json(d) for d in result.differences]}


@router.post("/invoices/{ref}/credit-notes", status_code=201)
def create_credit_note(ref: str, body: CreditNoteRequest, request: Request, actor: Actor = WRITE) -> dict[str, Any]:
    tally = get_tally(request)
    amounts = None if body.lines is None else {
        key: parse_decimal(value, field=f"lines.{key}") for key, value in body.lines.items()}
    note = service.credit_invoice(tally.uow_factory, ref, deps=_deps(request), reason=body.reason, actor=actor,
                                  clock=tally.clock, line_amounts=amounts)
    return note_json(note)


@router.get("/credit-notes")
def list_credit_notes(request: Request, invoice: str | None = None, period: str | None = None,
                      limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0),
                      _actor: Actor = READ) -> dict[str, Any]:
    found = service.list_credit_notes(get_tally(request).uow_factory, invoice=invoice, period=_month(period),
                                      limit=limit, offset=offset)
    return {"items": [note_json(n) for n in found], "limit": limit, "offset": offset}


@router.get("/credit-notes/{number}")
def get_credit_note(number: str, request: Request, _actor: Actor = READ) -> dict[str, Any]:
    return note_json(service.get_credit_note(get_tally(request).uow_factory, number))


@router.get("/customers/{customer_id}/upcoming-invoice")
def upcoming_invoice(customer_id: str, request: Request, _actor: Actor = READ) -> dict[str, Any]:
    tally = get_tally(request)
    return invoice_json(service.upcoming_invoice(tally.uow_factory, customer_id, deps=_deps(request),
                                                 clock=tally.clock))
