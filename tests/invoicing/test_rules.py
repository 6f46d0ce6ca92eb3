"""Pure rules: numbering, lifecycle, tax per line, totals from rounded lines, config. No database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tally.errors import InvalidInput, InvariantViolation
from tally.invoicing import lifecycle
from tally.invoicing.build import draft_invoice
from tally.invoicing.config import parse_billing_config
from tally.invoicing.errors import IllegalTransition
from tally.invoicing.model import DocumentKind, Invoice, InvoiceStatus, Totals
from tally.invoicing.numbering import format_number, sequence_of, series_for
from tally.invoicing.tax import JurisdictionTax
from tally.money import Money
from tests.invoicing.fakes import DEC_2, NOV, FakeRater

D = Decimal


@pytest.mark.parametrize(("prefix", "kind", "at", "seq", "number"), [
    ("TLY", DocumentKind.INVOICE, DEC_2, 123, "TLY-2026-000123"),
    ("TLY", DocumentKind.CREDIT_NOTE, datetime(2027, 1, 1, tzinfo=UTC), 1, "TLY-CN-2027-000001"),
    ("EU1", DocumentKind.INVOICE, DEC_2, 1_234_567, "EU1-2026-1234567"),
])
def test_numbers(prefix: str, kind: DocumentKind, at: datetime, seq: int, number: str) -> None:
    assert format_number(series_for(prefix, kind, at), seq) == number
    assert sequence_of(number) == seq


def test_bad_prefix_and_sequence() -> None:
    with pytest.raises(InvalidInput):
        series_for("tly", DocumentKind.INVOICE, DEC_2)
    with pytest.raises(InvalidInput):
        format_number("TLY-2026", 0)


def _draft(quantity: str = "150", customer: str = "acme") -> Invoice:
    tax = JurisdictionTax(rates={"DE": D("0.19")}, customers={"acme": "DE"})
    result = FakeRater().result(customer, NOV, D(quantity))
    return draft_invoice(result, invoice_id="inv_1", tax=tax, created_at=DEC_2, rated_as_of=DEC_2)


def test_lifecycle_moves_and_due_date() -> None:
    draft = _draft()
    assert draft.status is InvoiceStatus.DRAFT
    issued = lifecycle.issue(draft, series="TLY-2026", number="TLY-2026-000001", issued_at=DEC_2,
                             payment_terms_days=30)
    assert issued.due_on == date(2027, 1, 1)
    with pytest.raises(IllegalTransition):
        lifecycle.pay(draft, paid_at=DEC_2)
    with pytest.raises(IllegalTransition):
        lifecycle.void(draft, voided_at=DEC_2)
    paid = lifecycle.pay(issued, paid_at=DEC_2)
    with pytest.raises(IllegalTransition):
        lifecycle.void(paid, voided_at=DEC_2)
    with pytest.raises(IllegalTransition):
        lifecycle.issue(paid, series="TLY-2026", number="TLY-2026-000002", issued_at=DEC_2, payment_terms_days=30)


def test_tax_is_per_line_rounded_and_shown_separately() -> None:
    invoice = _draft()
    taxes = {line.line_key: line.tax.amount for line in invoice.lines}
    assert taxes == {"usage:instance-hours": Money.of("2.66", "USD"), "fee:platform": Money.of("3.80", "USD"),
                     "fee:support": Money.of("0.95", "USD"), "discount:usage-10": Money.of("-0.27", "USD"),
                     "commitment:true-up": Money.of("7.11", "USD")}
    assert invoice.totals.tax_total == Money.of("14.25", "USD")


def test_per_line_rounding_differs_from_rounding_the_sum() -> None:
    tax = JurisdictionTax(rates={"X": D("0.05")}, customers={"acme": "X"})
    result = FakeRater().result("acme", NOV, D(1))  # usage 0.10 → tax 0.005 → 0.00 (half-even)
    invoice = draft_invoice(result, invoice_id="inv_2", tax=tax, created_at=DEC_2, rated_as_of=DEC_2)
    usage = invoice.lines[0]
    assert usage.amount == Money.of("0.10", "USD") and usage.tax.amount == Money.of("0.00", "USD")


def test_no_jurisdiction_means_no_tax() -> None:
    invoice = _draft(customer="initech")
    assert invoice.totals.tax_total.is_zero()


def test_totals_that_are_not_the_sum_of_lines_are_refused() -> None:
    from dataclasses import replace

    invoice = _draft()
    bad = Totals(subtotal=Money.of("1.00", "USD"), tax_total=Money.of("0", "USD"), total=Money.of("1.00", "USD"))
    with pytest.raises(InvariantViolation):
        replace(invoice, totals=bad)


def test_config_parses_rates_from_text_and_refuses_floats() -> None:
    config = parse_billing_config({
        "seller": {"name": "Acme Cloud GmbH", "address": "Hauptstr. 1\nBerlin", "tax_id": "DE123"},
        "number_prefix": "ACG", "payment_terms_days": 14,
        "tax": {"rates": {"DE": "0.19"}, "default_jurisdiction": "DE"},
        "customers": {"c1": {"jurisdiction": "DE", "payment_terms_days": 45, "name": "C One"}},
    })
    assert config.tax_rates == {"DE": D("0.19")} and config.terms_days_for("c1") == 45
    assert config.terms_days_for("other") == 14 and config.seller.address == ("Hauptstr. 1", "Berlin")
    assert config.buyer("c1").name == "C One" and config.buyer("zz").name == "zz"
    with pytest.raises(InvalidInput, match="quoted decimal"):
        parse_billing_config({"tax": {"rates": {"DE": 0.19}}})
    with pytest.raises(InvalidInput):
        parse_billing_config({"customers": {"c1": {"jurisdiction": "FR"}}})
    with pytest.raises(InvalidInput):
        parse_billing_config({"payment_terms_days": -1})
