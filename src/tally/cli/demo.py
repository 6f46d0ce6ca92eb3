"""`tally demo`: a realistic month through the whole pipeline, with a progress bar per stage."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import typer
from rich.progress import TaskID

from tally.cli.context import console, print_json, print_table, progress, tally
from tally.demo.runner import DemoOptions, DemoSummary, run_demo
from tally.period import Period


def _previous_month() -> str:
    today = datetime.now(UTC)
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def demo(
    month: str = typer.Option(None, help="Month to simulate, YYYY-MM (default: the last full month)"),
    events: int = typer.Option(1_000_000, min=1_000, help="Number of event lines to generate"),
    seed: int = typer.Option(7, help="Seed: the same seed gives the same invoices"),
    customers: int = typer.Option(300, min=10, max=100_000, help="Number of customers"),
    fresh: bool = typer.Option(False, "--fresh", help="Start from an empty embedded (SQLite) database"),
    json: bool = typer.Option(False, "--json", help="Print the summary as JSON"),
) -> None:
    """Generate a month of cloud usage and run it through ingest, metering, rating, invoicing and the ledger."""
    options = DemoOptions(month=Period.month(month or _previous_month()), events=events, seed=seed,
                          customers=customers, fresh=fresh)
    with progress(enabled=not json) as bar:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        summary = run_demo(tally(), options, progress=report, timer=time.perf_counter)
    if json:
        print_json(_as_json(summary))
    else:
        _print(summary)


def _as_json(s: DemoSummary) -> dict[str, object]:
    return {
        "month": s.month.label, "events_in": s.events_in, "accepted": s.accepted, "duplicates": s.duplicates,
        "rejected": s.rejected, "unmapped_subjects": list(s.unmapped_subjects), "customers": s.customers,
        "customers_invoiced": s.customers_invoiced,
        "billed": {code: m.text() for code, m in sorted(s.billed.items())},
        "top_invoices": [{"number": t.number, "customer_id": t.customer_id, "total": t.total.text(),
                          "currency": t.total.currency.code} for t in s.top_invoices],
        "invoices_dir": str(s.invoices_dir), "trial_balance_balanced": s.trial_balance_balanced,
        "reconciliation": [{"check": n, "passed": p, "detail": d} for n, p, d in s.reconciliation],
        "seconds": {k: round(v, 2) for k, v in s.seconds.items()},  # float-ok: durations
    }


def _print(s: DemoSummary) -> None:
    console.print(f"\n[bold]Tally demo — {s.month.label}[/bold]")
    print_table("Pipeline", ("measure", "value"), [
        ("events in", f"{s.events_in:,}"), ("stored", f"{s.accepted:,}"), ("duplicates", f"{s.duplicates:,}"),
        ("rejected (quarantined)", f"{s.rejected:,}"), ("unmapped subjects", ", ".join(s.unmapped_subjects)),
        ("customers", f"{s.customers:,}"), ("customers invoiced", f"{s.customers_invoiced:,}"),
        *((f"total billed {code}", m.format()) for code, m in sorted(s.billed.items())),
        ("trial balance", "balanced" if s.trial_balance_balanced else "NOT BALANCED"),
        *((f"reconcile: {n}", ("pass" if p else "FAIL") + (f" ({d})" if d else "")) for n, p, d in s.reconciliation),
        *((f"time {k}", f"{v:.1f} s") for k, v in s.seconds.items()),
    ], right=("value",))
    print_table("Top invoices (per currency)", ("number", "customer", "total"),
                [(t.number, t.customer_id, t.total.format()) for t in s.top_invoices], right=("total",))
    console.print(f"invoices written to {s.invoices_dir} (JSON, and PDF for the top ones)")


def register(root: typer.Typer) -> None:
    root.command("demo")(demo)
