"""The GL export: journal lines of a period as CSV an ERP can import. Pure: never reads the database.

Columns (one row per journal line, in date then entry order):
  entry_id, date, account, account_number, account_name, debit, credit, currency, customer, invoice,
  source, memo
then one control row per currency: entry_id = "CONTROL", account = "TOTAL", debit and credit = the
column totals (equal when the books balance), memo = "lines=N entries=M".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal

from tally.ledger.model import account
from tally.ledger.store import StoredLine
from tally.money import currency

COLUMNS = ("entry_id", "date", "account", "account_number", "account_name", "debit", "credit", "currency",
           "customer", "invoice", "source", "memo")


def _amount(value: Decimal, code: str) -> str:
    return f"{value.quantize(currency(code).minor_unit_exponent):f}"


def gl_csv(lines: Sequence[StoredLine]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    totals: dict[str, tuple[Decimal, Decimal, int, set[str]]] = {}
    for ln in lines:
        acc = account(ln.account)
        writer.writerow((ln.entry_id, ln.entry_date.isoformat(), ln.account, acc.number, acc.name,
                         _amount(ln.debit, ln.currency), _amount(ln.credit, ln.currency), ln.currency,
                         ln.customer_id or "", ln.document or "", ln.source_kind, ln.memo))
        d, c, n, entries = totals.get(ln.currency, (Decimal(0), Decimal(0), 0, set()))
        entries.add(ln.entry_id)
        totals[ln.currency] = (d + ln.debit, c + ln.credit, n + 1, entries)
    for code, (d, c, n, entries) in sorted(totals.items()):
        writer.writerow(("CONTROL", "", "TOTAL", "", "", _amount(d, code), _amount(c, code), code, "", "", "",
                         f"lines={n} entries={len(entries)}"))
    return out.getvalue()
