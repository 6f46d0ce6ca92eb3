"""Commands of the ingest area: `tally ingest PATH...`, `tally events list|rejected|replay|unmapped|late`,
`tally subjects map|list`.

Each command parses, calls one service function, and formats. `tally ingest` exits 0 when the files
were read, even if some events were rejected: the rejects are reported (and kept in the quarantine,
see `tally events rejected`); a file that cannot be read at all exits 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from tally.cli.context import actor, console, err_console, print_json, print_table, progress, tally
from tally.errors import InvalidInput
from tally.ingest import service
from tally.ingest.attribution import SubjectMapping
from tally.ingest.model import IngestReport, QuarantinedEvent, Rejection, StoredEvent
from tally.period import Period, parse_instant

events_app = typer.Typer(help="Stored usage events: list, quarantine, replay, unmapped and late events.",
                         no_args_is_help=True)
subjects_app = typer.Typer(help="Subject → customer mappings (effective-dated, half-open).", no_args_is_help=True)

REJECTS_SHOWN = 20


def _report_json(report: IngestReport, files: list[str]) -> dict[str, Any]:
    return {"files": files, "lines": report.lines, "accepted": report.accepted, "duplicates": report.duplicates,
            "rejected": [_rejection_json(r) for r in report.rejected]}


def _rejection_json(r: Rejection) -> dict[str, Any]:
    return {"index": r.index, "field": r.field, "reason": r.reason}


def ingest_command(
    paths: list[str] = typer.Argument(..., help="Files to import; '-' reads standard input"),
    fmt: str | None = typer.Option(None, "--format", help="ndjson | json | csv | parquet (default: by suffix; "
                                                          "stdin: ndjson)"),
    batch_size: int = typer.Option(20_000, "--batch-size", help="Events per transaction (larger is faster on SQLite)"),
    json: bool = typer.Option(False, "--json"),
) -> None:
    """Import usage events from files (or stdin), exactly once: re-running a file stores nothing twice."""
    t = tally()
    total = IngestReport(accepted=0, duplicates=0, rejected=(), lines=0)
    per_file: list[tuple[str, IngestReport]] = []
    with progress(enabled=not json) as bar:
        for name in paths:
            path = None if name == "-" else Path(name)
            unit = 1 if (path and path.suffix.lower() in (".json", ".parquet", ".pq")) else 1024  # rows or KiB
            task = bar.add_task(f"{path.name if path else 'stdin'}{'' if unit == 1 else ' (KiB)'}", total=None)

            def advance(done: int, size: int, task: Any = task, unit: int = unit) -> None:
                bar.update(task, completed=-(-done // unit), total=-(-size // unit) or None)

            report = service.ingest_file(t.uow_factory, path, fmt=fmt, hooks=t.ingest_hooks, settings=t.settings,
                                         clock=t.clock, actor=actor(), progress=advance, batch_size=batch_size)
            per_file.append((name, report))
            total = IngestReport(accepted=total.accepted + report.accepted,
                                 duplicates=total.duplicates + report.duplicates,
                                 rejected=(*total.rejected, *report.rejected), lines=total.lines + report.lines)
    if json:
        print_json({**_report_json(total, paths),
                    "per_file": [{"file": n, **_report_json(r, [n])} for n, r in per_file]})
        return
    console.print(f"{total.lines} lines: [green]{total.accepted} accepted[/green], {total.duplicates} duplicates, "
                  f"[{'red' if total.rejected else 'green'}]{len(total.rejected)} rejected[/]", highlight=False)
    shown = 0
    for name, report in per_file:
        for r in report.rejected:
            if shown >= REJECTS_SHOWN:
                break
            err_console.print(f"  {name}:{r.index}: {r.field}: {r.reason}", highlight=False, markup=False,
                              soft_wrap=True)
            shown += 1
    if len(total.rejected) > shown:
        err_console.print(f"  … and {len(total.rejected) - shown} more (tally events rejected)")


def _event_json(e: StoredEvent) -> dict[str, Any]:
    return {"seq": e.seq, "source": e.source, "id": e.event_id, "type": e.event_type, "subject": e.subject,
            "time": e.event_time.isoformat(), "received_at": e.received_at.isoformat(), "late": e.late,
            "data": e.data_json}


def _print_events(title: str, rows: tuple[StoredEvent, ...], json: bool) -> None:
    if json:
        print_json([_event_json(e) for e in rows])
        return
    print_table(title, ("seq", "time", "type", "subject", "source", "id", "data", "late"),
                [(e.seq, e.event_time.isoformat(), e.event_type, e.subject, e.source, e.event_id,
                  e.data_json if len(e.data_json) <= 60 else e.data_json[:59] + "…", "late" if e.late else "")
                 for e in rows], right=("seq",))


@events_app.command("list")
def events_list(
    subject: str | None = typer.Option(None, "--subject"),
    event_type: str | None = typer.Option(None, "--type"),
    time_from: str | None = typer.Option(None, "--from", help="Event time from (RFC 3339, inclusive)"),
    time_to: str | None = typer.Option(None, "--to", help="Event time to (RFC 3339, exclusive)"),
    limit: int = typer.Option(100, "--limit"),
    json: bool = typer.Option(False, "--json"),
) -> None:
    """Recent events, last received first."""
    rows = service.list_events(tally().uow_factory, subject=subject, event_type=event_type,
                               time_from=parse_instant(time_from, field="--from") if time_from else None,
                               time_to=parse_instant(time_to, field="--to") if time_to else None, limit=limit)
    _print_events("Events", rows, json)


@events_app.command("late")
def events_late(limit: int = typer.Option(100, "--limit"), json: bool = typer.Option(False, "--json")) -> None:
    """Events that arrived for an already-closed billing period (stored, flagged for correction)."""
    _print_events("Late events", service.late_events(tally().uow_factory, limit=limit), json)


def _quarantined_json(q: QuarantinedEvent) -> dict[str, Any]:
    return {"id": q.id, "received_at": q.received_at.isoformat(), "origin": q.origin, "index": q.item_index,
            "field": q.field, "reason": q.reason, "raw_payload": q.raw_payload,
            "replayed_at": q.replayed_at.isoformat() if q.replayed_at else None}


@events_app.command("rejected")
def events_rejected(
    limit: int = typer.Option(100, "--limit"),
    include_replayed: bool = typer.Option(False, "--all", help="Include those already replayed"),
    json: bool = typer.Option(False, "--json"),
) -> None:
    """The quarantine: rejected events with their reason and raw payload."""
    rows = service.rejected_events(tally().uow_factory, limit=limit, only_pending=not include_replayed)
    if json:
        print_json([_quarantined_json(q) for q in rows])
        return
    print_table("Rejected events", ("id", "received", "origin", "at", "field", "reason", "payload", "replayed"),
                [(q.id, q.received_at.isoformat(), q.origin, q.item_index, q.field, q.reason,
                  q.raw_payload if len(q.raw_payload) <= 50 else q.raw_payload[:49] + "…",
                  q.replayed_at.isoformat() if q.replayed_at else "") for q in rows], right=("id",))


@events_app.command("replay")
def events_replay(
    ids: list[int] | None = typer.Argument(None, help="Quarantine ids to replay"),
    replay_all: bool = typer.Option(False, "--all", help="Replay every pending rejected event"),
    json: bool = typer.Option(False, "--json"),
) -> None:
    """Re-submit quarantined events after a fix; those now valid are stored and marked replayed."""
    if not ids and not replay_all:
        raise InvalidInput("ids", "name quarantine ids, or --all")
    if ids and replay_all:
        raise InvalidInput("ids", "name quarantine ids or --all, not both")
    t = tally()
    result = service.replay_rejected(t.uow_factory, ids=None if replay_all else ids, hooks=t.ingest_hooks,
                                     settings=t.settings, clock=t.clock, actor=actor())
    if json:
        print_json({"accepted": result.accepted, "duplicates": result.duplicates,
                    "rejected": [_rejection_json(r) for r in result.rejected]})
        return
    console.print(f"replayed: {result.accepted} stored, {result.duplicates} already stored, "
                  f"{len(result.rejected)} still rejected", highlight=False)
    for r in result.rejected[:REJECTS_SHOWN]:
        err_console.print(f"  #{r.index}: {r.field}: {r.reason}", highlight=False, markup=False, soft_wrap=True)


@events_app.command("unmapped")
def events_unmapped(period: str | None = typer.Option(None, "--period", help="Only events in YYYY-MM"),
                    json: bool = typer.Option(False, "--json")) -> None:
    """Subjects with events no mapping covers: stored, and billed once a mapping appears."""
    rows = service.unmapped_subjects(tally().uow_factory, period=Period.month(period) if period else None)
    if json:
        print_json([{"subject": u.subject, "events": u.events, "first_time": u.first_time.isoformat(),
                     "last_time": u.last_time.isoformat()} for u in rows])
        return
    print_table("Unmapped subjects", ("subject", "events", "first event", "last event"),
                [(u.subject, u.events, u.first_time.isoformat(), u.last_time.isoformat()) for u in rows],
                right=("events",))


def _mapping_json(m: SubjectMapping) -> dict[str, Any]:
    return {"subject": m.subject, "customer_id": m.customer_id, "effective_from": m.effective_from.isoformat(),
            "effective_to": m.effective_to.isoformat() if m.effective_to else None}


@subjects_app.command("map")
def subjects_map(
    subject: str = typer.Argument(..., help="The subject (e.g. a deployment id) events carry"),
    customer: str = typer.Argument(..., help="The customer (billing account) id"),
    start: str = typer.Option(..., "--from", help="RFC 3339 instant the mapping starts (inclusive)"),
    end: str | None = typer.Option(None, "--to", help="RFC 3339 instant it ends (exclusive); open if omitted"),
    supersede: bool = typer.Option(False, "--supersede", help="End the subject's open mapping where this starts"),
    json: bool = typer.Option(False, "--json"),
) -> None:
    """Map a subject to a customer from an instant (a move: --supersede ends the previous mapping)."""
    t = tally()
    mapping = SubjectMapping(subject=subject, customer_id=customer, effective_from=parse_instant(start, field="--from"),
                             effective_to=parse_instant(end, field="--to") if end else None)
    created = service.map_subjects(t.uow_factory, [mapping], hooks=t.ingest_hooks, actor=actor(), clock=t.clock,
                                   supersede=supersede)
    if json:
        print_json({"created": created, "mapping": _mapping_json(mapping)})
        return
    console.print(f"{'mapped' if created else 'already mapped'}: {subject} → {customer} from "
                  f"{mapping.effective_from.isoformat()}"
                  f"{' to ' + mapping.effective_to.isoformat() if mapping.effective_to else ''}", highlight=False)


@subjects_app.command("list")
def subjects_list(subject: str | None = typer.Argument(None, help="Only this subject"),
                  json: bool = typer.Option(False, "--json")) -> None:
    """Subject mappings, in the order they were recorded."""
    rows = service.list_subject_mappings(tally().uow_factory, subject=subject)
    if json:
        print_json([_mapping_json(m) for m in rows])
        return
    print_table("Subject mappings", ("subject", "customer", "from", "to"),
                [(m.subject, m.customer_id, m.effective_from.isoformat(),
                  m.effective_to.isoformat() if m.effective_to else "(open)") for m in rows])


def register(root: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    root.command("ingest")(ingest_command)
    root.add_typer(events_app, name="events")
    root.add_typer(subjects_app, name="subjects")
