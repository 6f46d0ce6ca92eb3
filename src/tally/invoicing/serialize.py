"""Plain JSON shapes of invoices, credit notes and differences, shared by the API and the CLI.

Every amount is exact text with the currency's minor-unit digits; never a float.
"""

from __future__ import annotations

from typing import Any

from tally.invoicing.model import CreditNote, Invoice, LineDifference


def invoice_json(invoice: Invoice) -> dict[str, Any]:
    return {
        "invoice_id": invoice.invoice_id, "number": invoice.number, "kind": invoice.kind.value,
        "status": invoice.status.value, "customer_id": invoice.customer_id, "currency": invoice.currency.code,
        "billing_period": {"start": invoice.billing_period.start.isoformat(),
                           "end": invoice.billing_period.end.isoformat()},
        "issued_at": invoice.issued_at.isoformat() if invoice.issued_at else None,
        "due_on": invoice.due_on.isoformat() if invoice.due_on else None,
        "paid_at": invoice.paid_at.isoformat() if invoice.paid_at else None,
        "voided_at": invoice.voided_at.isoformat() if invoice.voided_at else None,
        "corrects": invoice.corrects, "subtotal": invoice.totals.subtotal.text(),
        "tax_total": invoice.totals.tax_total.text(), "total": invoice.totals.total.text(),
        "inputs": {"contract_version_id": invoice.inputs.contract_version_id,
                   "price_book_version_id": invoice.inputs.price_book_version_id,
                   "usage_digest": invoice.inputs.usage_digest, "engine_version": invoice.inputs.engine_version,
                   "inputs_digest": invoice.inputs_digest, "lines_digest": invoice.lines_digest},
        "credits": [{"credit_id": c.credit_id, "applied": c.amount.text(), "remaining": c.remaining.text()}
                    for c in invoice.credit_balances],
        "lines": [{
            "line_no": ln.line_no, "line_key": ln.line_key, "kind": ln.kind.value, "product_code": ln.product_code,
            "description": ln.description, "service_period": {"start": ln.service_period.start.isoformat(),
                                                              "end": ln.service_period.end.isoformat()},
            "quantity": format(ln.quantity, "f"), "unit": ln.unit,
            "unit_price": None if ln.unit_price is None else format(ln.unit_price, "f"), "amount": ln.amount.text(),
            "tax": {"jurisdiction": ln.tax.jurisdiction, "rate": format(ln.tax.rate, "f"),
                    "amount": ln.tax.amount.text()},
            "revenue_category": ln.revenue_category,
            "explanation": [{"description": s.description, "quantity": format(s.quantity, "f"),
                             "unit_price": format(s.unit_price, "f"), "amount": format(s.amount, "f")}
                            for s in ln.explanation]} for ln in invoice.lines],
    }


def note_json(note: CreditNote) -> dict[str, Any]:
    return {
        "credit_note_id": note.credit_note_id, "number": note.number, "invoice_id": note.invoice_id,
        "invoice_number": note.invoice_number, "customer_id": note.customer_id, "currency": note.currency.code,
        "reason": note.reason, "issued_at": note.issued_at.isoformat(), "subtotal": note.totals.subtotal.text(),
        "tax_total": note.totals.tax_total.text(), "total": note.totals.total.text(),
        "lines": [{"line_no": ln.line_no, "line_key": ln.line_key, "kind": ln.kind.value,
                   "description": ln.description, "quantity": format(ln.quantity, "f"), "amount": ln.amount.text(),
                   "tax_rate": format(ln.tax.rate, "f"), "tax_amount": ln.tax.amount.text(),
                   "revenue_category": ln.revenue_category} for ln in note.lines],
    }


def diff_json(diff: LineDifference) -> dict[str, str]:
    return {"line_key": diff.line_key, "description": diff.description,
            "billed_quantity": format(diff.billed_quantity, "f"),
            "recomputed_quantity": format(diff.recomputed_quantity, "f"),
            "billed_amount": diff.billed_amount.text(), "recomputed_amount": diff.recomputed_amount.text(),
            "amount_delta": diff.amount_delta.text()}
