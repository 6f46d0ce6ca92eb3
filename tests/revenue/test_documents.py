"""Posting issued documents: worked examples with the expected journal entries spelled out."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tally.errors import InvariantViolation
from tally.invoicing.model import DocumentKind
from tally.ledger.model import imbalance
from tally.period import Period
from tally.rating.model import LineKind
from tally.revenue.documents import post_document
from tests.revenue.helpers import document, line, usd, view

DEC = Period.month("2026-12")


def test_worked_example_discount_true_up_credit_and_late_usage() -> None:
    invoice = document(
        line(1, LineKind.USAGE, "100.00", product="compute_m5_large", category="compute", tax="19.00"),
        line(2, LineKind.USAGE, "50.00", product="snapshot_storage", category="storage", tax="9.50"),
        line(3, LineKind.RECURRING_FEE, "30.00", product="platform_fee", category="platform", tax="5.70",
             service=DEC),
        line(4, LineKind.DISCOUNT, "-15.00", tax="-2.85"),           # 10 % off the whole invoice
        line(5, LineKind.COMMITMENT_TRUE_UP, "20.00", tax="3.80"),   # up to the minimum spend
        line(6, LineKind.CREDIT_APPLIED, "-40.00"))                  # prepaid money credit
    # recognised daily before the invoice: compute 98.00 (2.00 of usage arrived after the close), storage 50.00
    entry, schedules = post_document(invoice, entry_date=date(2026, 12, 2),
                                     unbilled={"compute": usd("98.00"), "storage": usd("50.00")})
    assert view(entry) == [
        ("accounts_receivable", "180.15", "0.00"),
        ("tax_payable", "0.00", "35.15"),
        ("discounts:compute", "8.33", "0.00"),      # −15.00 pro rata 100 : 50 : 30 (largest remainder)
        ("discounts:storage", "4.17", "0.00"),      # (the fee's 2.50 share reduces its schedule instead)
        ("prepaid_credits", "40.00", "0.00"),       # the credit liability pays part of the invoice
        ("revenue:compute", "0.00", "13.33"),       # true-up 20.00 pro rata over the usage lines 100 : 50
        ("revenue:storage", "0.00", "6.67"),
        ("unbilled_receivables", "0.00", "98.00"),  # what was recognised, reclassified to receivables
        ("revenue:compute", "0.00", "2.00"),        # billed but not yet recognised: revenue now
        ("unbilled_receivables", "0.00", "50.00"),
        ("deferred_revenue", "0.00", "27.50"),      # platform fee for December, net of its discount share
    ]
    assert imbalance(entry.lines) == {"USD": 0}
    (schedule,) = schedules
    assert schedule.amount == usd("27.50") and schedule.service_period == DEC
    assert entry.lines[7].ref == "compute@2026-11" and entry.lines[-1].ref == schedule.schedule_id


def test_worked_example_credit_note_reverses_revenue_when_issued() -> None:
    note = document(line(1, LineKind.USAGE, "10.00", product="compute_m5_large", category="compute", tax="1.90"),
                    line(2, LineKind.RECURRING_FEE, "30.00", product="platform_fee", category="platform",
                         service=DEC),
                    kind=DocumentKind.CREDIT_NOTE, doc_id="cn_1", number="TLY-CN-2027-000001",
                    issued_at=datetime(2027, 1, 5, tzinfo=UTC), corrects="inv_1")
    entry, schedules = post_document(note, entry_date=date(2027, 1, 5), unbilled={})
    assert view(entry) == [
        ("accounts_receivable", "0.00", "41.90"),
        ("tax_payable", "1.90", "0.00"),
        ("revenue:compute", "10.00", "0.00"),      # usage revenue taken back in January, the issue period
        ("deferred_revenue", "30.00", "0.00"),     # the fee: a negative schedule takes back what was released
    ]
    assert entry.entry_date == date(2027, 1, 5) and entry.source_kind == "credit_note"
    assert schedules[0].amount == usd("-30.00")


def test_prepaid_units_are_contra_revenue_of_their_product() -> None:
    invoice = document(line(1, LineKind.USAGE, "80.00", product="search", category="search"),
                       line(2, LineKind.CREDIT_APPLIED, "-80.00", product="search", category="search"))
    entry, _ = post_document(invoice, entry_date=date(2026, 12, 2), unbilled={"search": usd("80.00")})
    assert view(entry) == [("discounts:search", "80.00", "0.00"), ("unbilled_receivables", "0.00", "80.00")]


def test_an_unknown_line_kind_is_refused() -> None:
    bad = document(line(1, LineKind.USAGE, "1.00", category="compute"))
    object.__setattr__(bad.lines[0], "kind", "mystery")
    with pytest.raises(InvariantViolation, match="no revenue rule"):
        post_document(bad, entry_date=date(2026, 12, 2), unbilled={})
