"""`tally periods …`, `tally ledger …`, `tally gl export`: each command calls one service and formats."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from tally.cli.context import actor, console, err_console, print_json, print_table, progress, tally
from tally.ledger import reports, serialize, service
from tally.ledger.model import CloseReport, ReconciliationCheck
from tally.period import Period

periods_app = typer.Typer(help="Accounting periods: close (recognise, reconcile, lock), reopen, reconcile, list.",
                          no_args_is_help=True)
ledger_app = typer.Typer(help="Ledger reports: trial balance, revenue, deferred, unbilled, waterfall, entries.",
                         no_args_is_help=True)
gl_app = typer.Typer(help="General-ledger export for an ERP.", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="JSON output")
CSV = typer.Option(False, "--csv", help="CSV output")


def _emit(title: str, rows: Sequence[dict[str, Any]], *, json: bool, csv: bool, right: Sequence[str] = ()) -> None:
    if json:
        print_json(list(rows))
    elif csv:
        sys.stdout.write(serialize.to_csv(rows))
    elif not rows:
        console.print(f"{title}: nothing to show")
    else:
        print_table(title, list(rows[0]), [list(r.values()) for r in rows], right=right)


def _print_checks(checks: Sequence[ReconciliationCheck]) -> None:
    print_table("reconciliation", ("check", "result", "detail"),
                [(c.name, "PASS" if c.passed else "FAIL", c.detail) for c in checks])


def _print_close(report: CloseReport) -> None:
    c = report.counts
    console.print(f"period {report.period} closed in {report.seconds:.1f}s: {c.entries} entries "
                  f"({c.documents} documents, {c.usage_days} customer-days of usage, {c.releases} releases, "
                  f"{c.payments} payments, {c.credit_grants} credit purchases, {c.breakage} breakage)")
    print_table(f"trial balance at {report.trial_balance.as_of.isoformat()}",
                ("number", "account", "currency", "debit", "credit", "balance"),
                [(r.number, r.account, r.currency, r.debit, r.credit, r.balance) for r in report.trial_balance.rows],
                right=("debit", "credit", "balance"))
    _print_checks(report.reconciliation)
    console.print("[green]balanced and reconciled[/green]" if report.passed else "[red]reconciliation FAILED[/red]")


@periods_app.command("close")
def close_command(period: str = typer.Argument(..., help="Calendar month YYYY-MM"), json: bool = JSON) -> None:
    """Recognise revenue for PERIOD, post what billing issued, reconcile, and lock the period."""
    t = tally()
    with progress(enabled=not json) as bar:
        task = bar.add_task(f"recognising {period}", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = service.close_period(t.uow_factory, Period.month(period), actor=actor(), clock=t.clock,
                                      progress=advance)
    if json:
        print_json(serialize.close_json(report))
    else:
        _print_close(report)
    if not report.passed:
        raise typer.Exit(1)


@periods_app.command("reopen")
def reopen_command(period: str = typer.Argument(..., help="Calendar month YYYY-MM"),
                   reason: str = typer.Option(..., help="Why the closed period is reopened (audited)")) -> None:
    """Reopen a closed period (admin or finance; recorded in the audit trail)."""
    t = tally()
    row = service.reopen_period(t.uow_factory, Period.month(period), reason=reason, actor=actor(), clock=t.clock)
    console.print(f"period {row.period} reopened by {row.reopened_by}")


@periods_app.command("reconcile")
def reconcile_command(period: str = typer.Argument(..., help="Calendar month YYYY-MM"), json: bool = JSON) -> None:
    """Check the books against billing for PERIOD: each check with pass/fail and differences."""
    t = tally()
    checks = service.reconcile(t.uow_factory, Period.month(period), clock=t.clock)
    if json:
        print_json([serialize.check_json(c) for c in checks])
    else:
        _print_checks(checks)
    if not all(c.passed for c in checks):
        raise typer.Exit(1)


@periods_app.command("list")
def list_command(json: bool = JSON) -> None:
    rows = [serialize.period_json(p) for p in service.list_periods(tally().uow_factory)]
    _emit("periods", rows, json=json, csv=False)


@ledger_app.command("trial-balance")
def trial_balance_command(period: str = typer.Argument(...), json: bool = JSON, csv: bool = CSV) -> None:
    """Balances per account and currency at the end of PERIOD."""
    tb = reports.trial_balance(tally().uow_factory, Period.month(period))
    if json:
        print_json(serialize.trial_balance_json(tb))
        return
    _emit(f"trial balance at {tb.as_of.isoformat()}", serialize.trial_balance_rows(tb), json=False, csv=csv,
          right=("debit", "credit", "balance"))
    if not csv:
        state = "[green]balanced[/green]" if tb.balanced else "[red]NOT balanced[/red]"
        console.print(f"{state}: " + "; ".join(f"{c} debits {d} credits {cr}" for c, (d, cr) in tb.totals.items()))


@ledger_app.command("revenue")
def revenue_command(period: str = typer.Argument(...), by: str = typer.Option("product", help="product|customer"),
                    json: bool = JSON, csv: bool = CSV) -> None:
    """Revenue earned in PERIOD by product or by customer."""
    rows = reports.revenue(tally().uow_factory, Period.month(period), by=by)
    _emit(f"revenue {period} by {by}", serialize.revenue_rows(rows), json=json, csv=csv, right=("amount",))


@ledger_app.command("deferred")
def deferred_command(period: str = typer.Argument(...), json: bool = JSON, csv: bool = CSV) -> None:
    """Deferred revenue roll-forward: opening + billed − recognised = closing."""
    rows = reports.deferred_rollforward(tally().uow_factory, Period.month(period))
    _emit(f"deferred revenue {period}", serialize.rollforward_rows(rows), json=json, csv=csv,
          right=("opening", "billed", "recognised", "closing"))


@ledger_app.command("unbilled")
def unbilled_command(period: str = typer.Argument(...), json: bool = JSON, csv: bool = CSV) -> None:
    """Usage earned but not yet invoiced at the end of PERIOD."""
    rows = reports.unbilled(tally().uow_factory, Period.month(period))
    _emit(f"unbilled receivables at end of {period}", serialize.unbilled_rows(rows), json=json, csv=csv,
          right=("amount",))


@ledger_app.command("waterfall")
def waterfall_command(period: str = typer.Argument(...), json: bool = JSON, csv: bool = CSV) -> None:
    """Billed revenue still to be recognised after PERIOD, by month."""
    rows = reports.waterfall(tally().uow_factory, Period.month(period))
    _emit(f"revenue waterfall after {period}", serialize.waterfall_rows(rows), json=json, csv=csv, right=("amount",))


@ledger_app.command("entries")
def entries_command(period: str = typer.Argument(...), account: str | None = typer.Option(None),
                    customer: str | None = typer.Option(None), limit: int = typer.Option(200),
                    json: bool = JSON, csv: bool = CSV) -> None:
    """Journal lines dated in PERIOD."""
    rows = reports.entries(tally().uow_factory, Period.month(period), account=account, customer_id=customer,
                           limit=limit)
    _emit(f"journal {period}", serialize.line_rows(rows), json=json, csv=csv, right=("debit", "credit"))


@gl_app.command("export")
def gl_export_command(period: str = typer.Option(..., help="Calendar month YYYY-MM"),
                      out: Path | None = typer.Option(None, help="Write the CSV here (default: stdout)")) -> None:
    """Journal lines of PERIOD as CSV (layout in docs/revenue.md), with a control total per currency."""
    text = reports.gl_export(tally().uow_factory, Period.month(period))
    if out is None:
        sys.stdout.write(text)
        return
    out.write_text(text, encoding="utf-8")
    control = [line for line in text.splitlines() if line.startswith("CONTROL,")]
    err_console.print(f"wrote {out} ({len(text.splitlines()) - 1 - len(control)} lines); " + "; ".join(control))


def register(root: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    root.add_typer(periods_app, name="periods")
    root.add_typer(ledger_app, name="ledger")
    root.add_typer(gl_app, name="gl")
