"""Rated lines as plain JSON-ready mappings (for `tally rate --json` and the API). Pure."""

from __future__ import annotations

from typing import Any

from tally.money import sum_money
from tally.rating.model import RatedLine, RatingResult


def line_json(line: RatedLine) -> dict[str, Any]:
    return {
        "line_key": line.line_key,
        "kind": line.kind.value,
        "product_code": line.product_code,
        "description": line.description,
        "service_period": {"start": line.service_period.start.isoformat(), "end": line.service_period.end.isoformat()},
        "quantity": f"{line.quantity:f}",
        "unit": line.unit,
        "unit_price": None if line.unit_price is None else f"{line.unit_price:f}",
        "amount": line.amount.text(),
        "currency": line.amount.currency.code,
        "price_version_id": line.price_version_id,
        "revenue_category": line.revenue_category,
        "explanation": [{"description": s.description, "quantity": f"{s.quantity:f}",
                         "unit_price": f"{s.unit_price:f}", "amount": f"{s.amount:f}"} for s in line.explanation],
    }


def result_json(result: RatingResult) -> dict[str, Any]:
    total = sum_money((ln.amount for ln in result.lines), result.currency)
    return {
        "customer_id": result.customer_id,
        "currency": result.currency.code,
        "billing_period": result.billing_period.label,
        "lines": [line_json(ln) for ln in result.lines],
        "total": total.text(),
        "inputs": {"contract_version_id": result.inputs.contract_version_id,
                   "price_book_version_id": result.inputs.price_book_version_id,
                   "usage_digest": result.inputs.usage_digest, "engine_version": result.inputs.engine_version},
        "credit_drawdowns": [{"credit_id": d.credit_id, "kind": d.kind, "amount": d.amount.text(),
                              "units": None if d.units is None else f"{d.units:f}",
                              "remaining": f"{d.remaining.amount:f}" if d.kind == "money" else None,
                              "units_remaining": None if d.units_remaining is None else f"{d.units_remaining:f}"}
                             for d in result.credit_drawdowns],
    }
