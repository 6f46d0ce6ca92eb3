"""Documents: HTML (jinja2) and PDF (fpdf2, pure Python) of invoices and credit notes, and CSV/JSON export.

Pure functions from records to text or bytes: never reads the clock, never touches the store.
The same view feeds both formats, so the HTML and the PDF always say the same thing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

import jinja2
import orjson
from fpdf import FPDF

from tally.invoicing.config import BillingConfig, Party
from tally.invoicing.model import CreditNote, Invoice
from tally.money import Money


def _amount(money: Money) -> str:
    amount = money.amount.quantize(money.currency.minor_unit_exponent) if money.is_rounded else money.amount
    return f"{amount:,f}"


def _qty(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    return text


def _day(value: datetime | None) -> str:
    return value.date().isoformat() if value else ""


def _party(party: Party) -> dict[str, Any]:
    return {"name": party.name, "address": list(party.address), "tax_id": party.tax_id or "",
            "email": party.email or ""}


def invoice_view(invoice: Invoice, config: BillingConfig) -> dict[str, Any]:
    title = "Invoice" if invoice.kind.value == "regular" else "Adjustment invoice"
    return {
        "title": title, "number": invoice.number or f"DRAFT {invoice.invoice_id}", "status": invoice.status.value,
        "seller": _party(config.seller), "buyer": _party(config.buyer(invoice.customer_id)),
        "customer_id": invoice.customer_id, "issued_on": _day(invoice.issued_at),
        "due_on": invoice.due_on.isoformat() if invoice.due_on else "",
        "period": f"{invoice.billing_period.start.date()} – {invoice.billing_period.end.date()} (end exclusive)",
        "currency": invoice.currency.code, "reference": invoice.corrects or "",
        "lines": [{
            "no": ln.line_no, "description": ln.description, "kind": ln.kind.value,
            "service": f"{ln.service_period.start.date()} – {ln.service_period.end.date()}",
            "quantity": _qty(ln.quantity), "unit": ln.unit,
            "unit_price": "" if ln.unit_price is None else format(ln.unit_price, "f"),
            "amount": _amount(ln.amount), "tax_rate": f"{(ln.tax.rate * 100).normalize():f} %",
            "tax": _amount(ln.tax.amount),
            "explanation": [f"{s.description}: {_qty(s.quantity)} × {format(s.unit_price, 'f')} = "
                            f"{format(s.amount, 'f')}" for s in ln.explanation],
        } for ln in invoice.lines],
        "subtotal": _amount(invoice.totals.subtotal), "tax_total": _amount(invoice.totals.tax_total),
        "total": _amount(invoice.totals.total),
        "credits": [f"credit {c.credit_id}: {_amount(c.amount)} applied, {_amount(c.remaining)} left"
                    for c in invoice.credit_balances],
        "footer": f"Inputs digest {invoice.inputs_digest[:16]} · lines digest {invoice.lines_digest[:16]} · "
                  f"price book {invoice.inputs.price_book_version_id} · engine {invoice.inputs.engine_version}",
    }


def credit_note_view(note: CreditNote, config: BillingConfig) -> dict[str, Any]:
    return {
        "title": "Credit note", "number": note.number, "status": "issued",
        "seller": _party(config.seller), "buyer": _party(config.buyer(note.customer_id)),
        "customer_id": note.customer_id, "issued_on": _day(note.issued_at), "due_on": "",
        "period": f"{note.billing_period.start.date()} – {note.billing_period.end.date()} (end exclusive)",
        "currency": note.currency.code, "reference": f"credits invoice {note.invoice_number}: {note.reason}",
        "lines": [{
            "no": ln.line_no, "description": ln.description, "kind": ln.kind.value,
            "service": f"{ln.service_period.start.date()} – {ln.service_period.end.date()}",
            "quantity": _qty(ln.quantity), "unit": ln.unit, "unit_price": "", "amount": _amount(ln.amount),
            "tax_rate": f"{(ln.tax.rate * 100).normalize():f} %", "tax": _amount(ln.tax.amount), "explanation": [],
        } for ln in note.lines],
        "subtotal": _amount(note.totals.subtotal), "tax_total": _amount(note.totals.tax_total),
        "total": _amount(note.totals.total), "credits": [], "footer": f"Credit note {note.credit_note_id}",
    }


_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ d.title }} {{ d.number }}</title>
<style>
body{font-family:Helvetica,Arial,sans-serif;font-size:13px;color:#222;margin:40px}
h1{font-size:22px;margin:0 0 4px} table{border-collapse:collapse;width:100%;margin-top:16px}
th,td{border-bottom:1px solid #ddd;padding:6px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right} .parties{display:flex;justify-content:space-between;margin:20px 0}
.x{color:#666;font-size:11px} .totals td{border:none} .footer{margin-top:30px;color:#888;font-size:10px}
</style></head><body>
<h1>{{ d.title }} {{ d.number }}</h1>
<div>Status: {{ d.status }} · Issued: {{ d.issued_on or "not issued" }}
{% if d.due_on %} · Due: {{ d.due_on }}{% endif %}</div>
<div>Usage period: {{ d.period }} · Currency: {{ d.currency }}</div>
{% if d.reference %}<div>Reference: {{ d.reference }}</div>{% endif %}
<div class="parties">
{% for label, p in (("From", d.seller), ("Bill to", d.buyer)) %}
<div><strong>{{ label }}</strong><br>{{ p.name }}<br>{% for a in p.address %}{{ a }}<br>{% endfor %}
{% if p.tax_id %}Tax id: {{ p.tax_id }}{% endif %}</div>
{% endfor %}
</div>
<table><thead><tr><th>#</th><th>Description</th><th>Service period</th><th class="n">Quantity</th>
<th class="n">Unit price</th><th class="n">Amount</th><th class="n">Tax rate</th><th class="n">Tax</th></tr></thead>
<tbody>
{% for l in d.lines %}<tr><td>{{ l.no }}</td><td>{{ l.description }}
{% for e in l.explanation %}<div class="x">{{ e }}</div>{% endfor %}</td><td>{{ l.service }}</td>
<td class="n">{{ l.quantity }} {{ l.unit }}</td><td class="n">{{ l.unit_price }}</td><td class="n">{{ l.amount }}</td>
<td class="n">{{ l.tax_rate }}</td><td class="n">{{ l.tax }}</td></tr>
{% endfor %}</tbody></table>
<table class="totals">
<tr><td class="n">Subtotal</td><td class="n">{{ d.currency }} {{ d.subtotal }}</td></tr>
<tr><td class="n">Tax</td><td class="n">{{ d.currency }} {{ d.tax_total }}</td></tr>
<tr><td class="n"><strong>Total</strong></td><td class="n"><strong>{{ d.currency }} {{ d.total }}</strong></td></tr>
</table>
{% for c in d.credits %}<div class="x">{{ c }}</div>{% endfor %}
<div class="footer">{{ d.footer }}</div>
</body></html>
"""

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


def render_html(view: dict[str, Any]) -> str:
    return _ENV.from_string(_TEMPLATE).render(d=view)


def _latin1(text: str) -> str:
    # The PDF core fonts are Latin-1; keep the text readable where a character is outside it.
    return text.replace("–", "-").replace("×", "x").replace("·", "-").encode("latin-1", "replace").decode("latin-1")


def render_pdf(view: dict[str, Any], *, created_at: datetime | None = None) -> bytes:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    if created_at is not None:
        pdf.set_creation_date(created_at)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, _latin1(f"{view['title']} {view['number']}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    meta = f"Status: {view['status']}   Issued: {view['issued_on'] or 'not issued'}"
    if view["due_on"]:
        meta += f"   Due: {view['due_on']}"
    for text in (meta, f"Usage period: {view['period']}   Currency: {view['currency']}"):
        pdf.cell(0, 5, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    if view["reference"]:
        pdf.cell(0, 5, _latin1(f"Reference: {view['reference']}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    top = pdf.get_y()
    for x, label, party in ((10, "From", view["seller"]), (110, "Bill to", view["buyer"])):
        pdf.set_xy(x, top)
        lines = [label, party["name"], *party["address"]] + ([f"Tax id: {party['tax_id']}"] if party["tax_id"] else [])
        pdf.multi_cell(90, 5, _latin1("\n".join(lines)))
    pdf.ln(4)
    widths = (8, 62, 24, 22, 18, 20, 14, 22)
    heads = ("#", "Description", "Quantity", "Service from", "Unit price", "Amount", "Tax %", "Tax")
    pdf.set_font("Helvetica", "B", 8)
    for w, h in zip(widths, heads, strict=True):
        pdf.cell(w, 6, h, border="B")
    pdf.ln()
    pdf.set_font("Helvetica", "", 8)
    for line in view["lines"]:
        cells = (str(line["no"]), line["description"][:48], f"{line['quantity']} {line['unit']}"[:18],
                 line["service"][:10], line["unit_price"], line["amount"], line["tax_rate"], line["tax"])
        for i, (w, c) in enumerate(zip(widths, cells, strict=True)):
            pdf.cell(w, 5, _latin1(c), align="R" if i >= 4 else "L")
        pdf.ln()
        pdf.set_font("Helvetica", "I", 7)
        for e in line["explanation"]:
            pdf.cell(widths[0])
            pdf.cell(0, 4, _latin1(e), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 8)
    pdf.ln(3)
    for label, key, style in (("Subtotal", "subtotal", ""), ("Tax", "tax_total", ""), ("Total", "total", "B")):
        pdf.set_font("Helvetica", style, 9)
        pdf.cell(150, 6, label, align="R")
        pdf.cell(40, 6, _latin1(f"{view['currency']} {view[key]}"), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 7)
    for c in view["credits"]:
        pdf.cell(0, 4, _latin1(c), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.cell(0, 4, _latin1(view["footer"]), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


# --- export ---

EXPORT_COLUMNS = ("document", "number", "status", "customer_id", "currency", "period_start", "period_end",
                  "issued_at", "due_on", "corrects", "line_no", "line_key", "kind", "product_code",
                  "revenue_category", "description", "quantity", "unit", "unit_price", "amount", "tax_rate",
                  "tax_amount", "document_subtotal", "document_tax_total", "document_total")


def export_rows(invoices: Iterable[Invoice], notes: Iterable[CreditNote]) -> list[dict[str, str]]:
    """One row per line, each carrying its document's header; decimals as exact text."""
    rows: list[dict[str, str]] = []
    for inv in invoices:
        head = {"document": f"invoice:{inv.kind.value}", "number": inv.number or "", "status": inv.status.value,
                "customer_id": inv.customer_id, "currency": inv.currency.code,
                "period_start": inv.billing_period.start.isoformat(), "period_end": inv.billing_period.end.isoformat(),
                "issued_at": inv.issued_at.isoformat() if inv.issued_at else "",
                "due_on": inv.due_on.isoformat() if inv.due_on else "", "corrects": inv.corrects or "",
                "document_subtotal": inv.totals.subtotal.text(), "document_tax_total": inv.totals.tax_total.text(),
                "document_total": inv.totals.total.text()}
        for ln in inv.lines:
            rows.append({**head, "line_no": str(ln.line_no), "line_key": ln.line_key, "kind": ln.kind.value,
                         "product_code": ln.product_code or "", "revenue_category": ln.revenue_category,
                         "description": ln.description, "quantity": format(ln.quantity, "f"), "unit": ln.unit,
                         "unit_price": "" if ln.unit_price is None else format(ln.unit_price, "f"),
                         "amount": ln.amount.text(), "tax_rate": format(ln.tax.rate, "f"),
                         "tax_amount": ln.tax.amount.text()})
    for note in notes:
        head = {"document": "credit_note", "number": note.number, "status": "issued", "customer_id": note.customer_id,
                "currency": note.currency.code, "period_start": note.billing_period.start.isoformat(),
                "period_end": note.billing_period.end.isoformat(), "issued_at": note.issued_at.isoformat(),
                "due_on": "", "corrects": note.invoice_number, "document_subtotal": note.totals.subtotal.text(),
                "document_tax_total": note.totals.tax_total.text(), "document_total": note.totals.total.text()}
        for cl in note.lines:
            rows.append({**head, "line_no": str(cl.line_no), "line_key": cl.line_key, "kind": cl.kind.value,
                         "product_code": cl.product_code or "", "revenue_category": cl.revenue_category,
                         "description": cl.description, "quantity": format(cl.quantity, "f"), "unit": cl.unit,
                         "unit_price": "", "amount": cl.amount.text(), "tax_rate": format(cl.tax.rate, "f"),
                         "tax_amount": cl.tax.amount.text()})
    return rows


def export_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def export_json(invoices: Iterable[Invoice], notes: Iterable[CreditNote]) -> str:
    """Documents with their lines nested; every amount is exact text."""
    docs: dict[str, dict[str, Any]] = {}
    for row in export_rows(invoices, notes):
        key = row["number"] or f"{row['document']}:{row['customer_id']}:{row['period_start']}"
        head = {k: row[k] for k in EXPORT_COLUMNS[:10] + EXPORT_COLUMNS[-3:]}
        doc = docs.setdefault(key, {**head, "lines": []})
        doc["lines"].append({k: row[k] for k in EXPORT_COLUMNS[10:-3]})
    return orjson.dumps(list(docs.values()), option=orjson.OPT_INDENT_2).decode() + "\n"
