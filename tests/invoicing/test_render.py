"""Documents: HTML and PDF show seller, buyer, number, dates, lines, tax, totals; exports are exact."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from tally.invoicing import lifecycle, render
from tally.invoicing.build import draft_invoice
from tally.invoicing.config import BillingConfig, CustomerTerms, Party
from tally.invoicing.model import Invoice
from tally.invoicing.tax import plain
from tests.invoicing.fakes import DEC_2, NOV, FakeRater

D = Decimal
CONFIG = BillingConfig(seller=Party(name="Seller GmbH", address=("Str. 1",), tax_id="DE1"),
                       tax_rates={"DE": D("0.19")},
                       customers={"acme": CustomerTerms(party=Party(name="ACME Corp"), jurisdiction="DE")})


def _issued() -> Invoice:
    result = FakeRater(credit={"acme": D(10)}).result("acme", NOV, D(150))
    draft = draft_invoice(result, invoice_id="inv_1", tax=CONFIG.tax_calculator(), created_at=DEC_2,
                          rated_as_of=DEC_2)
    return lifecycle.issue(draft, series="TLY-2026", number="TLY-2026-000007", issued_at=DEC_2, payment_terms_days=30)


def test_html_has_everything_a_reader_needs() -> None:
    html = render.render_html(render.invoice_view(_issued(), CONFIG))
    for needle in ("Invoice TLY-2026-000007", "Seller GmbH", "ACME Corp", "Tax id: DE1", "2026-12-02",
                   "Due: 2027-01-01", "2026-11-01 – 2026-12-01", "first 100 hours", "19 %", "Instance hours",
                   "Subtotal", "USD 65.00", "credit cr-acme"):
        assert needle in html, needle


def test_html_escapes_text() -> None:
    config = BillingConfig(customers={"acme": CustomerTerms(party=Party(name="<script>x</script>"))})
    html = render.render_html(render.invoice_view(_issued(), config))
    assert "<script>x" not in html and "&lt;script&gt;" in html


def test_pdf_is_a_pdf() -> None:
    pdf = render.render_pdf(render.invoice_view(_issued(), CONFIG), created_at=DEC_2)
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000


def test_exports_are_exact_text() -> None:
    invoice = _issued()
    rows = render.export_rows([invoice], [])
    parsed = list(csv.DictReader(io.StringIO(render.export_csv(rows))))
    assert len(parsed) == len(invoice.lines)
    assert sum(D(r["amount"]) for r in parsed) == D(parsed[0]["document_subtotal"])
    docs = json.loads(render.export_json([invoice], []))
    assert docs[0]["number"] == "TLY-2026-000007" and docs[0]["lines"][0]["amount"] == "14.00"


def test_no_negative_zero() -> None:
    assert str(plain(D("-0.00"))) == "0.00" and plain(D("-1.5")) == D("-1.5")
