"""Run the demo month through every stage: generate → catalog → attribute → ingest → bill → close.

The demo is a use case like any other: it calls the stages' services, in order, each in its own
transactions, with a simulated clock so that the same seed gives the same invoices byte for byte.
It never reaches into a stage's tables. Progress is reported through a callback (no terminal code).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select

from tally.audit.model import Actor
from tally.bootstrap import Tally
from tally.catalog.service import apply_catalog
from tally.clock import FixedClock
from tally.contracts.service import NewCustomer, subscribe_customers
from tally.demo.generator import DemoWorld, build_world, event_lines
from tally.errors import Conflict
from tally.ingest.attribution import SubjectMapping
from tally.ingest.service import ingest_file, map_subjects
from tally.invoicing.billing_run import run_billing
from tally.invoicing.config import BillingConfig
from tally.invoicing.documents import render_document
from tally.invoicing.serialize import invoice_json
from tally.invoicing.service import list_invoices
from tally.invoicing.wiring import billing_deps
from tally.ledger.service import close_period
from tally.money import Money
from tally.period import Period
from tally.store.migrate import upgrade
from tally.store.schema.ingest import events

Progress = Callable[[str, int, int], None]  # (stage, done, total)
SUBSCRIBE_CHUNK = 1000
INGEST_BATCH = 20_000  # one transaction per 20k lines: fewer commits, rollups merged over more events
ACTOR = Actor.system("demo")


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoOptions:
    month: Period
    events: int = 1_000_000
    seed: int = 7
    customers: int = 300
    fresh: bool = False  # start from an empty embedded database (SQLite only)


@dataclass(frozen=True, slots=True, kw_only=True)
class TopInvoice:
    number: str
    customer_id: str
    total: Money


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoSummary:
    month: Period
    events_in: int
    accepted: int
    duplicates: int
    rejected: int
    unmapped_subjects: tuple[str, ...]
    customers: int
    customers_invoiced: int
    billed: dict[str, Money]
    top_invoices: tuple[TopInvoice, ...]
    invoices_dir: Path
    events_file: Path
    trial_balance_balanced: bool
    reconciliation: tuple[tuple[str, bool, str], ...]
    seconds: dict[str, float] = field(default_factory=dict)  # float-ok: durations


def _catalog_text() -> str:
    return resources.files("tally.demo").joinpath("catalog.yaml").read_text()


Timer = Callable[[], float]  # float-ok: seconds from a monotonic clock


def run_demo(tally: Tally, options: DemoOptions, *, progress: Progress, timer: Timer) -> DemoSummary:
    """Run the whole month. Refuses to run on a database that already holds events."""
    if options.fresh:
        _remove_embedded_database(tally)
    upgrade(tally.engine)
    with tally.engine.connect() as connection:
        if connection.execute(select(func.count()).select_from(events)).scalar_one():
            raise Conflict("the database already holds events: run the demo on a fresh database (tally demo --fresh)")
    month = options.month
    clock = FixedClock(month.start - timedelta(days=1))
    seconds: dict[str, float] = {}  # float-ok: durations
    started = timer()

    def lap(stage: str) -> None:
        nonlocal started
        now = timer()
        seconds[stage] = now - started
        started = now

    world = build_world(month, customers=options.customers, seed=options.seed)
    demo_dir = tally.settings.home / "demo"
    demo_dir.mkdir(parents=True, exist_ok=True)
    events_file = demo_dir / f"events-{month.label}.ndjson"
    _write_events(events_file, world, options, progress)
    lap("generate")

    apply_catalog(tally.uow_factory, _catalog_text(), actor=ACTOR, clock=clock)
    _subscribe(tally, world, clock, progress)
    lap("catalog")

    map_subjects(tally.uow_factory, _mappings(world), hooks=tally.ingest_hooks, actor=ACTOR, clock=clock)
    lap("attribute")

    clock.current = month.end + timedelta(hours=2)
    report = ingest_file(tally.uow_factory, events_file, fmt="ndjson", hooks=tally.ingest_hooks,
                         batch_size=INGEST_BATCH,
                         settings=tally.settings, clock=clock, actor=ACTOR,
                         progress=lambda done, total: progress("ingest", done, total))
    lap("ingest")

    clock.current = month.end + timedelta(days=1)
    deps = billing_deps(tally.settings)
    run = run_billing(tally.uow_factory, period=month, deps=deps, actor=ACTOR, clock=clock, issue=True,
                      progress=lambda done, total: progress("bill", done, total))
    if not run.ok:  # the demo's data is generated to bill cleanly: a failure is a bug, and the books would not close
        failed = ", ".join(f"{f.customer_id} ({f.code})" for f in run.failures[:5])
        raise Conflict(f"the billing run failed for {len(run.failures)} customer(s): {failed}")
    invoices_dir = demo_dir / "invoices"
    billed, top, invoiced = _write_invoices(tally, month, invoices_dir, deps.config)
    lap("bill")

    clock.current = month.end + timedelta(days=3)
    close = close_period(tally.uow_factory, month, actor=ACTOR, clock=clock)
    lap("close")
    return DemoSummary(
        month=month, events_in=options.events, accepted=report.accepted, duplicates=report.duplicates,
        rejected=len(report.rejected), unmapped_subjects=world.unmapped_subjects, customers=len(world.customers),
        customers_invoiced=invoiced, billed=billed, top_invoices=top, invoices_dir=invoices_dir,
        events_file=events_file, trial_balance_balanced=close.trial_balance.balanced,
        reconciliation=tuple((c.name, c.passed, c.detail) for c in close.reconciliation), seconds=seconds,
    )


def _remove_embedded_database(tally: Tally) -> None:
    url = tally.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise Conflict("--fresh only removes the embedded SQLite database; point TALLY_DATABASE_URL at an empty "
                       "PostgreSQL database instead")
    tally.engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(url.database + suffix).unlink(missing_ok=True)


def _write_events(path: Path, world: DemoWorld, options: DemoOptions, progress: Progress) -> None:
    step = max(1, options.events // 100)
    with path.open("w", encoding="utf-8") as out:
        for n, line in enumerate(event_lines(world, events=options.events, seed=options.seed), start=1):
            out.write(line)
            out.write("\n")
            if n % step == 0:
                progress("generate", n, options.events)
    progress("generate", options.events, options.events)


def _subscribe(tally: Tally, world: DemoWorld, clock: FixedClock, progress: Progress) -> None:
    self_serve = [c for c in world.customers if not c.enterprise]
    for i in range(0, len(self_serve), SUBSCRIBE_CHUNK):
        chunk = self_serve[i:i + SUBSCRIBE_CHUNK]
        subscribe_customers(tally.uow_factory, [
            NewCustomer(customer_id=c.customer_id, plan_code="self-serve", start=world.month.start,
                        currency=c.currency, name=c.name) for c in chunk], actor=ACTOR, clock=clock)
        progress("catalog", i + len(chunk), len(self_serve))


def _mappings(world: DemoWorld) -> list[SubjectMapping]:
    moved = {m.subject: m for m in world.moves}
    out: list[SubjectMapping] = []
    for dep in world.deployments:
        move = moved.get(dep.subject)
        if move is None:
            out.append(SubjectMapping(subject=dep.subject, customer_id=dep.customer_id,
                                      effective_from=world.month.start))
            continue
        instant = world.month.start + timedelta(hours=move.at_hour)
        out.append(SubjectMapping(subject=dep.subject, customer_id=move.from_customer,
                                  effective_from=world.month.start, effective_to=instant))
        out.append(SubjectMapping(subject=dep.subject, customer_id=move.to_customer, effective_from=instant))
    return out


def _top_per_currency(ranked: list[TopInvoice], count: int) -> tuple[TopInvoice, ...]:
    """The largest invoices of each currency (amounts in different currencies are not compared)."""
    ordered = sorted(ranked, key=lambda t: (t.total.currency.code != "USD", t.total.currency.code,
                                            -t.total.amount, t.number))
    seen: Counter[str] = Counter()
    top: list[TopInvoice] = []
    for item in ordered:
        if seen[item.total.currency.code] < count:
            seen[item.total.currency.code] += 1
            top.append(item)
    return tuple(top)


def _write_invoices(tally: Tally, month: Period, out_dir: Path, config: BillingConfig
                    ) -> tuple[dict[str, Money], tuple[TopInvoice, ...], int]:
    out_dir.mkdir(parents=True, exist_ok=True)
    billed: dict[str, Money] = {}
    ranked: list[TopInvoice] = []
    customers: Counter[str] = Counter()
    offset = 0
    while True:
        page = list_invoices(tally.uow_factory, period=month, limit=500, offset=offset)
        if not page:
            break
        offset += len(page)
        for invoice in page:
            if invoice.number is None:
                continue
            customers[invoice.customer_id] += 1
            total = invoice.totals.total
            billed[total.currency.code] = billed.get(total.currency.code, Money.zero(total.currency)) + total
            ranked.append(TopInvoice(number=invoice.number, customer_id=invoice.customer_id, total=total))
            (out_dir / f"{invoice.number}.json").write_text(json.dumps(invoice_json(invoice), indent=2))
    top = _top_per_currency(ranked, 5)
    for item in top:
        pdf = render_document(tally.uow_factory, item.number, config=config, fmt="pdf")
        (out_dir / pdf.filename).write_bytes(pdf.content)
    return billed, top, len(customers)
