"""`tally bill run`, `tally invoices …`, `tally credit-notes …`: each command calls one service."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import typer

from tally.cli.context import actor, console, err_console, print_json, print_table, progress, tally
from tally.errors import InvalidInput
from tally.invoicing import documents, service
from tally.invoicing.billing_run import BillingRunReport, run_billing
from tally.invoicing.errors import BillingRunFailed
from tally.invoicing.model import LineDifference
from tally.invoicing.serialize import diff_json, invoice_json, note_json
from tally.invoicing.wiring import BillingDeps, billing_deps
from tally.money import Money, parse_decimal
from tally.period import Period

bill_app = typer.Typer(help="Billing runs.", no_args_is_help=True)
invoices_app = typer.Typer(help="Invoices: list, show, issue, pay, void, re-rate, verify, render, export.",
                           no_args_is_help=True)
notes_app = typer.Typer(help="Credit notes.", no_args_is_help=True)


def _deps() -> BillingDeps:
    return billing_deps(tally().settings)


def _period(text: str | None) -> Period | None:
    return None if text is None else Period.month(text)


def _print_diffs(title: str, diffs: tuple[LineDifference, ...]) -> None:
    print_table(title, ("line", "billed qty", "recomputed qty", "billed", "recomputed", "difference"),
                [(d.line_key, d.billed_quantity, d.recomputed_quantity, d.billed_amount.text(),
                  d.recomputed_amount.text(), d.amount_delta.text()) for d in diffs],
                right=("billed qty", "recomputed qty", "billed", "recomputed", "difference"))


# --- tally bill run ---


@bill_app.command("run")
def bill_run(
    period: str = typer.Option(..., help="Billing period YYYY-MM (must have ended)"),
    customer: list[str] = typer.Option(None, "--customer", help="Only these customers (repeatable)"),
    issue: bool = typer.Option(False, "--issue", help="Issue the invoices (default: create drafts)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Rate and build, write nothing"),
    batch_size: int = typer.Option(200, help="Customers per transaction"),
    json: bool = typer.Option(False, "--json"),
) -> None:
    """Bill every billable customer of PERIOD. Idempotent: re-running never bills twice."""
    t = tally()
    with progress(enabled=not json) as bar:
        task = bar.add_task(f"billing {period}", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = run_billing(t.uow_factory, period=Period.month(period), deps=_deps(), actor=actor(), clock=t.clock,
                             customers=customer or None, issue=issue, dry_run=dry_run, progress=advance,
                             batch_size=batch_size)
    _print_report(report, json)
    if report.failures:
        raise BillingRunFailed(report.run_id or "dry-run", [
            {"customer_id": f.customer_id, "code": f.code, "detail": f.detail} for f in report.failures])


def _print_report(report: BillingRunReport, json: bool) -> None:
    if json:
        print_json({"run_id": report.run_id, "period": report.period.label, "dry_run": report.dry_run,
                    "issue": report.issue, "customers": report.customers_seen, "counts": report.counts,
                    "duration_s": round(report.duration_s, 3),
                    "failures": [{"customer_id": f.customer_id, "code": f.code, "detail": f.detail}
                                 for f in report.failures]})
        return
    title = f"billing run {report.run_id or '(dry run: nothing written)'} · {report.period.label}"
    rows = [(k, v) for k, v in report.counts.items()] + [("failed", len(report.failures)),
                                                          ("customers", report.customers_seen)]
    print_table(title, ("outcome", "count"), rows, right=("count",))
    console.print(f"finished in {report.duration_s:.2f} s")
    if report.failures:
        print_table("failures", ("customer", "code", "detail"),
                    [(f.customer_id, f.code, f.detail) for f in report.failures])


# --- tally invoices ---


@invoices_app.command("list")
def list_command(
    period: str | None = typer.Option(None, help="Billing period YYYY-MM"),
    customer: str | None = typer.Option(None),
    status: str | None = typer.Option(None, help="draft | issued | paid | void"),
    limit: int = typer.Option(100),
    json: bool = typer.Option(False, "--json"),
) -> None:
    """List invoices (numbers, status, totals, due dates)."""
    found = service.list_invoices(tally().uow_factory, period=_period(period), customer_id=customer, status=status,
                                  limit=limit)
    if json:
        print_json([{k: v for k, v in invoice_json(i).items() if k != "lines"} for i in found])
        return
    print_table("invoices", ("number", "status", "kind", "customer", "period", "total", "due"),
                [(i.number or i.invoice_id, i.status.value, i.kind.value, i.customer_id, i.billing_period.label,
                  i.totals.total.format(), i.due_on or "") for i in found], right=("total",))
    per_currency: dict[str, Money] = {}
    for i in found:
        if i.status.value != "void":
            code = i.currency.code
            per_currency[code] = per_currency.get(code, Money.zero(i.currency)) + i.totals.total
    for total in per_currency.values():
        console.print(f"total (excluding void) {total}")


@invoices_app.command("show")
def show(ref: str = typer.Argument(..., help="Invoice number or id"),
         json: bool = typer.Option(False, "--json")) -> None:
    """Show one invoice with its lines, explanations, tax and totals."""
    invoice = service.get_invoice(tally().uow_factory, ref)
    if json:
        print_json(invoice_json(invoice))
        return
    console.print(f"[bold]{invoice.label}[/bold] {invoice.status.value} · {invoice.customer_id} · "
                  f"{invoice.billing_period.label} · due {invoice.due_on or '-'}")
    print_table("lines", ("#", "description", "quantity", "amount", "tax rate", "tax"),
                [(ln.line_no, ln.description, f"{ln.quantity} {ln.unit}", ln.amount.text(), ln.tax.rate,
                  ln.tax.amount.text()) for ln in invoice.lines], right=("quantity", "amount", "tax"))
    for ln in invoice.lines:
        for step in ln.explanation:
            console.print(f"  {ln.line_no}: {step.description}: {step.quantity} × {step.unit_price} = {step.amount}")
    console.print(f"subtotal {invoice.totals.subtotal}  tax {invoice.totals.tax_total}  "
                  f"[bold]total {invoice.totals.total}[/bold]")


@invoices_app.command("issue")
def issue_command(ref: str, json: bool = typer.Option(False, "--json")) -> None:
    """Issue a draft: recompute it with the latest usage and give it the next number."""
    t = tally()
    issued = service.issue_invoice(t.uow_factory, ref, deps=_deps(), actor=actor(), clock=t.clock)
    if json:
        print_json(invoice_json(issued))
        return
    console.print(f"issued {issued.number} total {issued.totals.total} due {issued.due_on}")


@invoices_app.command("refresh")
def refresh_command(ref: str) -> None:
    """Re-rate a draft with the usage received so far."""
    t = tally()
    fresh = service.refresh_invoice(t.uow_factory, ref, deps=_deps(), actor=actor(), clock=t.clock)
    console.print(f"draft {fresh.invoice_id} total {fresh.totals.total}")


@invoices_app.command("pay")
def pay_command(ref: str) -> None:
    """Record that an issued invoice was paid."""
    t = tally()
    paid = service.pay_invoice(t.uow_factory, ref, actor=actor(), clock=t.clock)
    console.print(f"{paid.number} paid")


@invoices_app.command("void")
def void_command(ref: str, reason: str = typer.Option(..., help="Why the invoice is voided")) -> None:
    """Void an issued invoice: it keeps its number; a credit note reverses it."""
    t = tally()
    voided = service.void_invoice(t.uow_factory, ref, deps=_deps(), reason=reason, actor=actor(), clock=t.clock)
    note = f", credit note {voided.credit_note.number}" if voided.credit_note else ""
    console.print(f"{voided.invoice.number} void{note}")


@invoices_app.command("rerate")
def rerate_command(
    ref: str,
    issue: bool = typer.Option(False, "--issue", help="Issue the correction (credit note or adjustment invoice)"),
    reason: str = typer.Option("re-rated", help="Reason printed on the correction"),
    json: bool = typer.Option(False, "--json"),
) -> None:
    """Show how re-rating the invoice's period now differs from what was billed; --issue corrects it."""
    t = tally()
    if issue:
        done = service.issue_correction(t.uow_factory, ref, deps=_deps(), reason=reason, actor=actor(),
                                        clock=t.clock)
        result = {"invoice": done.invoice.number, "credit_note": done.credit_note.number if done.credit_note else None,
                  "adjustment": done.adjustment.number if done.adjustment else None,
                  "differences": [diff_json(d) for d in done.differences]}
        if json:
            print_json(result)
            return
        _print_diffs(f"correction of {done.invoice.number}", done.differences)
        console.print(f"credit note: {result['credit_note'] or '-'}  adjustment invoice: {result['adjustment'] or '-'}")
        return
    rerated = service.rerate_invoice(t.uow_factory, ref, deps=_deps(), clock=t.clock)
    if json:
        print_json({"invoice": rerated.invoice.number, "net_delta": rerated.net_delta.text(),
                    "differences": [diff_json(d) for d in rerated.differences],
                    "would_issue": "credit_note" if rerated.credit_lines else
                    "adjustment_invoice" if rerated.adjustment_lines else None})
        return
    if not rerated.differences:
        console.print(f"{rerated.invoice.number}: re-rating gives the same lines; nothing to correct")
        return
    _print_diffs(f"re-rating {rerated.invoice.number} (nothing issued)", rerated.differences)
    kind = "a credit note" if rerated.credit_lines else "an adjustment invoice"
    console.print(f"net difference {rerated.net_delta}; `--issue` would issue {kind}")


@invoices_app.command("verify")
def verify_command(
    ref: str | None = typer.Argument(None, help="Invoice number (or use --all)"),
    all_invoices: bool = typer.Option(False, "--all", help="Verify every issued invoice"),
    period: str | None = typer.Option(None, help="With --all: only this billing period YYYY-MM"),
    json: bool = typer.Option(False, "--json"),
) -> None:
    """Recompute from raw events and compare; exits 1 on any mismatch."""
    t = tally()
    if (ref is None) == (not all_invoices):
        raise InvalidInput("invoice", "name one invoice or pass --all")
    if ref is not None:
        results: tuple[service.Verification, ...] = (service.verify_invoice(t.uow_factory, ref, deps=_deps()),)
    else:
        results = service.verify_all(t.uow_factory, deps=_deps(), period=_period(period))
    bad = [r for r in results if not r.matches]
    if json:
        print_json([{"number": r.number, "matches": r.matches, "problems": list(r.problems),
                     "differences": [diff_json(d) for d in r.differences]} for r in results])
    else:
        for r in bad:
            _print_diffs(f"{r.number}: MISMATCH", r.differences)
            for problem in r.problems:
                console.print(f"  {r.number}: {problem}")
        console.print(f"{len(results) - len(bad)} of {len(results)} invoices match their recomputation")
    if bad:
        raise typer.Exit(1)


@invoices_app.command("render")
def render_command(
    ref: str,
    fmt: str = typer.Option("pdf", "--format", help="pdf | html"),
    out: Path = typer.Option(Path("."), "--out", help="Directory to write into"),
) -> None:
    """Write the invoice (or credit note) as a PDF or HTML file."""
    t = tally()
    doc = documents.render_document(t.uow_factory, ref, config=_deps().config, fmt=fmt)
    out.mkdir(parents=True, exist_ok=True)
    path = out / doc.filename
    path.write_bytes(doc.content)
    console.print(f"wrote {path}")


@invoices_app.command("export")
def export_command(
    period: str = typer.Option(..., help="Billing period YYYY-MM"),
    fmt: str = typer.Option("csv", "--format", help="csv | json"),
    out: Path | None = typer.Option(None, "--out", help="File to write (default: stdout)"),
) -> None:
    """Export invoices, credit notes and their lines of a billing period."""
    text = documents.export_documents(tally().uow_factory, period=Period.month(period), fmt=fmt)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        err_console.print(f"wrote {out}")


@invoices_app.command("upcoming")
def upcoming_command(customer: str, json: bool = typer.Option(False, "--json")) -> None:
    """The customer's invoice for the running month so far (not stored)."""
    t = tally()
    draft = service.upcoming_invoice(t.uow_factory, customer, deps=_deps(), clock=t.clock)
    if json:
        print_json(invoice_json(draft))
        return
    console.print(f"{customer} {draft.billing_period.label} so far: total {draft.totals.total}")


# --- tally credit-notes ---


@notes_app.command("list")
def notes_list(invoice: str | None = typer.Option(None, help="Invoice number"),
               period: str | None = typer.Option(None), json: bool = typer.Option(False, "--json")) -> None:
    """List credit notes, of one invoice or one billing period."""
    found = service.list_credit_notes(tally().uow_factory, invoice=invoice, period=_period(period))
    if json:
        print_json([note_json(n) for n in found])
        return
    print_table("credit notes", ("number", "invoice", "customer", "reason", "total"),
                [(n.number, n.invoice_number, n.customer_id, n.reason, n.totals.total.format()) for n in found],
                right=("total",))


@notes_app.command("show")
def notes_show(number: str) -> None:
    """Show one credit note (JSON)."""
    print_json(note_json(service.get_credit_note(tally().uow_factory, number)))


@notes_app.command("create")
def notes_create(
    invoice: str = typer.Argument(..., help="Invoice number"),
    reason: str = typer.Option(..., help="Why it is credited"),
    line: list[str] = typer.Option(None, "--line", help="LINE_KEY=AMOUNT (net) for a partial credit; repeatable"),
) -> None:
    """Issue a credit note: in full, or partial with --line."""
    t = tally()
    amounts: dict[str, Decimal] | None = None
    if line:
        amounts = {}
        for item in line:
            key, sep, amount = item.partition("=")
            if not sep:
                raise InvalidInput("line", f"must be LINE_KEY=AMOUNT, got {item!r}")
            amounts[key] = parse_decimal(amount, field=f"line {key}")
    note = service.credit_invoice(t.uow_factory, invoice, deps=_deps(), reason=reason, actor=actor(),
                                  clock=t.clock, line_amounts=amounts)
    console.print(f"issued credit note {note.number} for {note.totals.total} against {note.invoice_number}")


def register(root: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    root.add_typer(bill_app, name="bill")
    root.add_typer(invoices_app, name="invoices")
    root.add_typer(notes_app, name="credit-notes")
