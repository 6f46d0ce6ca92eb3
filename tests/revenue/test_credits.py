"""Prepaid credits with breakage: payment → liability, drawdown on the invoice, expiry → breakage revenue."""

from __future__ import annotations

from datetime import date

from tally.ledger.model import imbalance
from tally.rating.model import LineKind
from tally.revenue.credits import breakage_entry, payment_entry, purchase_entry
from tally.revenue.documents import post_document
from tests.revenue.helpers import document, line, usd, view


def test_worked_example_prepaid_credit_used_in_part_then_expired() -> None:
    # 1,000.00 of credit bought on 1 January; November's usage (300.00) is paid from it; the rest expires
    bought = purchase_entry(customer_id="acme", credit_id="prepaid-2026", amount=usd("1000.00"),
                            paid_on=date(2026, 1, 1))
    assert view(bought) == [("cash", "1000.00", "0.00"), ("prepaid_credits", "0.00", "1000.00")]
    invoice = document(line(1, LineKind.USAGE, "300.00", product="ingest", category="observability"),
                       line(2, LineKind.CREDIT_APPLIED, "-300.00"))
    drawn, _ = post_document(invoice, entry_date=date(2026, 12, 2), unbilled={"observability": usd("300.00")})
    # nothing is receivable: the liability pays for usage already recognised as revenue
    assert view(drawn) == [("prepaid_credits", "300.00", "0.00"), ("unbilled_receivables", "0.00", "300.00")]
    expired = breakage_entry(customer_id="acme", credit_id="prepaid-2026", remaining=usd("700.00"),
                             expired_on=date(2027, 1, 1))
    assert view(expired) == [("prepaid_credits", "700.00", "0.00"), ("breakage_revenue", "0.00", "700.00")]
    assert expired is not None and bought is not None
    liability = sum((ln.credit - ln.debit for e in (bought, drawn, expired) for ln in e.lines
                     if ln.account == "prepaid_credits"), usd("0"))
    assert liability == usd("0")
    assert imbalance((*bought.lines, *drawn.lines, *expired.lines)) == {"USD": 0}


def test_worked_example_invoice_paid() -> None:
    paid = payment_entry(customer_id="acme", invoice_id="inv_1", number="TLY-2026-000001", amount=usd("89.25"),
                         paid_on=date(2026, 12, 10))
    assert view(paid) == [("cash", "89.25", "0.00"), ("accounts_receivable", "0.00", "89.25")]
