"""Commands of the metering area: `tally meters list|apply|delete|rebuild|verify|rejects` and
`tally usage`. Each command parses, calls one service function, and formats.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from tally.catalog.yamlexact import load_yaml
from tally.cli.context import actor, console, print_table, progress, tally
from tally.errors import InvalidInput
from tally.ingest.jsonexact import dumps_exact
from tally.metering import service
from tally.metering.definitions import parse_meters
from tally.metering.errors import RollupMismatch
from tally.metering.present import change_json, instant, meter_json, query_json, reject_json, verify_json
from tally.metering.query import MeterQuery, parse_window_size, query_meter
from tally.period import Period, parse_instant

meters_app = typer.Typer(help="Meters: definitions (versioned), rollups, rebuild, verify, rejects.",
                         no_args_is_help=True)


def _print_exact(value: object) -> None:
    """JSON with Decimals as exact numbers (never through a float)."""
    sys.stdout.write(dumps_exact(value) + "\n")
    sys.stdout.flush()


def _range(start: str | None, end: str | None) -> Period | None:
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise InvalidInput("--from" if start is None else "--to", "give both --from and --to, or neither")
    return Period(parse_instant(start, field="--from"), parse_instant(end, field="--to"))


@meters_app.command("list")
def meters_list(include_deleted: bool = typer.Option(False, "--include-deleted"),
                json: bool = typer.Option(False, "--json")) -> None:
    """Every meter's latest version."""
    with tally().uow_factory() as uow:
        meters = service.list_meters(uow, include_deleted=include_deleted)
    if json:
        _print_exact([meter_json(m) for m in meters])
        return
    print_table("Meters", ("slug", "version", "aggregation", "event type", "value", "group by", "effective from",
                           "deleted"),
                [(m.slug, m.version, m.definition.aggregation.value, m.definition.event_type,
                  m.definition.value_property or "", ", ".join(n for n, _ in m.definition.group_by),
                  instant(m.effective_from) or "(all events)", instant(m.deleted_at) or "") for m in meters])


@meters_app.command("apply")
def meters_apply(file: Path = typer.Argument(..., help="YAML (or JSON) with a `meters:` list"),
                 json: bool = typer.Option(False, "--json")) -> None:
    """Create meters, or new versions effective now for changed ones; unchanged ones are left alone."""
    try:
        document = load_yaml(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(str(file), f"cannot be read: {exc.strerror}") from None
    if not isinstance(document, dict) or "meters" not in document:
        raise InvalidInput(str(file), "must be a mapping with a `meters:` list")
    t = tally()
    changes = service.apply_meter_definitions(t.uow_factory, parse_meters(document["meters"]), actor=actor(),
                                              clock=t.clock)
    if json:
        _print_exact([change_json(c) for c in changes])
        return
    for c in changes:
        console.print(f"{c.action.value:>9} {c.slug}@{c.version}"
                      + (f" from {instant(c.effective_from)}" if c.effective_from else "")
                      + (f" ({c.events_backfilled} events backfilled)" if c.events_backfilled else ""),
                      highlight=False)


@meters_app.command("delete")
def meters_delete(slug: str = typer.Argument(...)) -> None:
    """Stop maintaining a meter (its rollups stay for the invoices that used them)."""
    t = tally()
    meter = service.delete_meter(t.uow_factory, slug, actor=actor(), clock=t.clock)
    console.print(f"deleted {meter.slug} (last version {meter.version})", highlight=False)


@meters_app.command("rebuild")
def meters_rebuild(slug: str = typer.Argument(...),
                   start: str = typer.Option(..., "--from", help="RFC 3339 instant (inclusive)"),
                   end: str = typer.Option(..., "--to", help="RFC 3339 instant (exclusive)"),
                   json: bool = typer.Option(False, "--json")) -> None:
    """Recompute SLUG's rollups from raw events for the hours covering [--from, --to)."""
    t = tally()
    period = _range(start, end)
    assert period is not None
    with progress(enabled=not json) as bar:
        task = bar.add_task(f"rebuilding {slug}", total=None)
        result = service.rebuild(t.uow_factory, slug, period=period, actor=actor(), clock=t.clock,
                                 progress=lambda n: bar.advance(task, n),
                                 total=lambda n: bar.update(task, total=n))
    out = {"meter": result.slug, "versions": list(result.versions), "from": instant(period.start),
           "to": instant(period.end), "eventsRead": result.events_read}
    if json:
        _print_exact(out)
        return
    console.print(f"rebuilt {slug} versions {list(result.versions)}: {result.events_read} events read",
                  highlight=False)


@meters_app.command("verify")
def meters_verify(start: str | None = typer.Option(None, "--from"), end: str | None = typer.Option(None, "--to"),
                  json: bool = typer.Option(False, "--json")) -> None:
    """Recompute every meter from raw events and compare with the rollups; exits non-zero on a difference."""
    t = tally()
    period = _range(start, end) or service.stored_event_range(t.uow_factory)
    if period is None:
        console.print("no events stored: nothing to verify")
        return
    report = service.verify(t.uow_factory, period_or_range=period)
    out = verify_json(report)
    if json:
        _print_exact(out)
    else:
        console.print(f"checked {', '.join(report.meters_checked) or 'no meters'}: {report.events_read} events, "
                      f"{report.keys_checked} rollup keys, {len(report.differences)} differences", highlight=False)
        if report.differences:
            print_table("Differences", ("meter", "customer", "subject", "window", "groups", "stored", "expected"),
                        [(f"{d['meter']}@{d['version']}", d["customerId"] or "(unmapped)", d["subject"],
                          f"{d['window']} {d['windowStart']}", d["groupBy"], d["stored"], d["expected"])
                         for d in out["differences"]])
    if not report.ok:
        raise RollupMismatch(f"{len(report.differences)} rollup keys disagree with the raw events "
                             f"({instant(report.period.start)}..{instant(report.period.end)})")


@meters_app.command("rejects")
def meters_rejects(meter: str | None = typer.Option(None, "--meter"), limit: int = typer.Option(1000, "--limit"),
                   json: bool = typer.Option(False, "--json")) -> None:
    """Events a meter could not use (value missing or not a number), with the reason."""
    with tally().uow_factory() as uow:
        rejects = service.rejects(uow, meter_slug=meter, limit=limit)
    if json:
        _print_exact([reject_json(r) for r in rejects])
        return
    print_table("Meter rejects", ("event seq", "meter", "reason", "recorded at"),
                [(r.event_seq, f"{r.meter_slug}@{r.meter_version}", r.reason, instant(r.recorded_at))
                 for r in rejects])


def usage_command(
    slug: str = typer.Argument(..., help="Meter slug"),
    customer: str = typer.Option(..., "--customer", help="Customer id"),
    start: str = typer.Option(..., "--from", help="RFC 3339 instant (inclusive)"),
    end: str = typer.Option(..., "--to", help="RFC 3339 instant (exclusive)"),
    window: str = typer.Option("day", "--window", help="minute, hour, day or month"),
    group_by: list[str] = typer.Option([], "--group-by", help="Group by a meter dimension (repeatable)"),
    time_zone: str = typer.Option("UTC", "--tz", help="IANA time zone of day/month windows"),
    json: bool = typer.Option(False, "--json"),
) -> None:
    """A customer's usage of one meter per window, as a table (or exact JSON)."""
    query = MeterQuery(slug=slug, start=parse_instant(start, field="--from"), end=parse_instant(end, field="--to"),
                       window_size=parse_window_size(window), window_time_zone=time_zone, customer_ids=(customer,),
                       group_by=tuple(group_by))
    with tally().uow_factory() as uow:
        result = query_meter(uow, query)
    if json:
        _print_exact(query_json(result))
        return
    dims = [n for n in group_by if n not in ("subject", "customer_id")]
    print_table(f"{slug}@{result.meter_version} for {customer} ({result.source})",
                ("window start", "window end", *(["subject"] if "subject" in group_by else []), *dims, "value"),
                [(instant(r.window_start), instant(r.window_end), *([r.subject] if "subject" in group_by else []),
                  *(dict(r.group_by).get(n) or "" for n in dims), format(r.value, "f")) for r in result.rows],
                right=("value",))
    console.print(f"{len(result.rows)} windows", highlight=False)


def register(root: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    root.add_typer(meters_app, name="meters")
    root.command("usage")(usage_command)
