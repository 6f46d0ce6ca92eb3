"""Prepaid credits: a liability until used or expired (ASC 606 breakage).

- purchase (payment at grant): debit cash, credit prepaid credit liability;
- drawdown: the invoice's credit-applied line debits the liability (see documents.py); the usage it
  pays for was already recognised as revenue, so the liability turns into earned revenue;
- expiry: what is left is breakage revenue (debit the liability, credit breakage revenue).
Never reads the clock or the database.
"""

from __future__ import annotations

from datetime import date

from tally.ledger.model import AR, BREAKAGE, CASH, PREPAID, JournalEntry, cr, dr, make_entry
from tally.money import Money


def purchase_entry(*, customer_id: str, credit_id: str, amount: Money, paid_on: date) -> JournalEntry | None:
    return make_entry(source_kind="credit_grant", source_id=f"{customer_id}|{credit_id}", entry_date=paid_on,
                      memo=f"prepaid credit {credit_id} paid",
                      lines=(dr(CASH, amount, customer_id=customer_id, memo=f"credit {credit_id}"),
                             cr(PREPAID, amount, customer_id=customer_id, memo=f"credit {credit_id}")))


def breakage_entry(*, customer_id: str, credit_id: str, remaining: Money, expired_on: date) -> JournalEntry | None:
    return make_entry(source_kind="breakage", source_id=f"{customer_id}|{credit_id}", entry_date=expired_on,
                      memo=f"prepaid credit {credit_id} expired unused",
                      lines=(dr(PREPAID, remaining, customer_id=customer_id, memo=f"credit {credit_id} expired"),
                             cr(BREAKAGE, remaining, customer_id=customer_id, memo=f"credit {credit_id} expired")))


def payment_entry(*, customer_id: str, invoice_id: str, number: str, amount: Money,
                  paid_on: date) -> JournalEntry | None:
    """An invoice paid: debit cash, credit accounts receivable."""
    return make_entry(source_kind="payment", source_id=invoice_id, entry_date=paid_on, memo=f"invoice {number} paid",
                      lines=(dr(CASH, amount, customer_id=customer_id, document=number),
                             cr(AR, amount, customer_id=customer_id, document=number)))
