"""Ledger records as JSON-ready dicts and CSV rows, shared by the CLI and the API. Amounts are exact strings."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from tally.ledger.model import CloseReport, ReconciliationCheck, TrialBalance
from tally.ledger.reports import RevenueRow, UnbilledRow, WaterfallRow
from tally.ledger.service import RollForwardRow
from tally.ledger.store import PeriodRow, StoredLine


def trial_balance_rows(tb: TrialBalance) -> list[dict[str, Any]]:
    return [{"account": r.account, "number": r.number, "name": r.name, "type": r.type.value, "currency": r.currency,
             "debit": str(r.debit), "credit": str(r.credit), "balance": str(r.balance)} for r in tb.rows]


def trial_balance_json(tb: TrialBalance) -> dict[str, Any]:
    return {"as_of": tb.as_of.isoformat(), "balanced": tb.balanced, "rows": trial_balance_rows(tb),
            "totals": {c: {"debit": str(d), "credit": str(cr)} for c, (d, cr) in sorted(tb.totals.items())}}


def check_json(c: ReconciliationCheck) -> dict[str, Any]:
    return {"name": c.name, "passed": c.passed, "detail": c.detail, "expected": c.expected, "actual": c.actual}


def close_json(report: CloseReport) -> dict[str, Any]:
    return {"period": report.period, "passed": report.passed, "seconds": round(report.seconds, 3),
            "counts": {k: getattr(report.counts, k) for k in report.counts.__dataclass_fields__},
            "trial_balance": trial_balance_json(report.trial_balance),
            "reconciliation": [check_json(c) for c in report.reconciliation]}


def period_json(p: PeriodRow) -> dict[str, Any]:
    return {"period": p.period, "status": p.status.value, "closed_at": p.closed_at, "closed_by": p.closed_by,
            "reopened_at": p.reopened_at, "reopened_by": p.reopened_by}


def revenue_rows(rows: Sequence[RevenueRow]) -> list[dict[str, Any]]:
    return [{"key": r.key, "account": r.account, "currency": r.currency, "amount": str(r.amount)} for r in rows]


def rollforward_rows(rows: Sequence[RollForwardRow]) -> list[dict[str, Any]]:
    return [{"currency": r.currency, "opening": str(r.opening), "billed": str(r.billed),
             "recognised": str(r.recognised), "closing": str(r.closing), "ties_out": r.ties_out} for r in rows]


def unbilled_rows(rows: Sequence[UnbilledRow]) -> list[dict[str, Any]]:
    return [{"customer": r.customer_id, "ref": r.ref, "currency": r.currency, "amount": str(r.amount)} for r in rows]


def waterfall_rows(rows: Sequence[WaterfallRow]) -> list[dict[str, Any]]:
    return [{"month": r.month, "currency": r.currency, "amount": str(r.amount)} for r in rows]


def line_rows(rows: Sequence[StoredLine]) -> list[dict[str, Any]]:
    return [{"entry_id": r.entry_id, "date": r.entry_date.isoformat(), "source": r.source_kind,
             "account": r.account, "debit": str(r.debit), "credit": str(r.credit), "currency": r.currency,
             "customer": r.customer_id, "invoice": r.document, "product": r.product_code, "memo": r.memo}
            for r in rows]


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    out = io.StringIO()
    if not rows:
        return ""
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return out.getvalue()
