"""File import: NDJSON, JSON arrays, CSV and Parquet; line numbers; resumable re-runs; stdin."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from types import SimpleNamespace

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tally.clock import FixedClock
from tally.errors import InvalidInput
from tally.ingest import service
from tally.ingest.formats import compose_event, detect_format
from tally.ingest.model import IngestReport, Rejection
from tally.ingest.observers import IngestHooks
from tests.conftest import TestDatabase
from tests.ingest.fakes import ACTOR, cloudevent, settings_for


def run(db: TestDatabase, clock: FixedClock, path: Path | None, *, fmt: str | None = None, batch_size: int = 5000,
        progress: list[tuple[int, int]] | None = None) -> IngestReport:
    return service.ingest_file(db.uow_factory, path, fmt=fmt, hooks=IngestHooks(), settings=settings_for(db.url),
                               clock=clock, actor=ACTOR, batch_size=batch_size,
                               progress=None if progress is None else lambda d, t: progress.append((d, t)))


def ndjson_lines(n: int) -> list[str]:
    return [orjson.dumps(cloudevent(f"e-{i}", data={"gb": f"{i}.50"})).decode() for i in range(n)]


def test_ndjson_counts_lines_and_names_bad_lines(db: TestDatabase, clock: FixedClock, tmp_path: Path) -> None:
    lines = ndjson_lines(5)
    lines.insert(2, "")
    lines.insert(4, "{not json")
    lines.append(lines[0])  # a re-sent line
    path = tmp_path / "events.ndjson"
    path.write_text("\n".join(lines) + "\n")
    progress: list[tuple[int, int]] = []
    report = run(db, clock, path, batch_size=2, progress=progress)
    assert (report.accepted, report.duplicates, report.lines) == (5, 1, 8)
    assert [(r.index, r.field) for r in report.rejected] == [(5, "event")]
    assert progress[-1] == (path.stat().st_size, path.stat().st_size)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    (quarantined,) = service.rejected_events(db.uow_factory)
    assert quarantined.item_index == 5 and quarantined.raw_payload == "{not json"
    assert quarantined.origin == f"file:{path}"


def test_a_rerun_after_a_crash_stores_nothing_twice(db: TestDatabase, clock: FixedClock, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(ndjson_lines(10)) + "\n")

    def crash(done: int, total: int) -> None:
        raise KeyboardInterrupt  # the process dies after its first committed batch

    with pytest.raises(KeyboardInterrupt):
        service.ingest_file(db.uow_factory, path, fmt=None, hooks=IngestHooks(), settings=settings_for(db.url),
                            clock=clock, actor=ACTOR, batch_size=4, progress=crash)
    before = len(service.list_events(db.uow_factory))
    # whole batches only: the first (SQLite: exactly it; PostgreSQL: up to the batches its two writers had
    # in flight when the process died)
    assert before in ((4,) if db.backend == "sqlite" else (4, 8))
    report = run(db, clock, path, batch_size=4)
    assert (report.accepted, report.duplicates, report.rejected) == (10 - before, before, ())
    assert len(service.list_events(db.uow_factory)) == 10


def test_json_array_file_numbers_items(db: TestDatabase, clock: FixedClock, tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_bytes(orjson.dumps([cloudevent("a"), cloudevent("b", subject=""), cloudevent("c")]))
    report = run(db, clock, path, batch_size=2)
    assert report == IngestReport(accepted=2, duplicates=0, rejected=(Rejection(2, "subject", "must not be empty"),),
                                  lines=3)
    bad = tmp_path / "bad.json"
    bad.write_text("[1,")
    with pytest.raises(InvalidInput, match=r"bad\.json"):
        run(db, clock, bad)


def test_csv_columns_and_payload_fields(db: TestDatabase, clock: FixedClock, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "id,source,type,subject,time,data.gb,data.region,data.usage.cpu\n"
        "c-1,svc,api.calls,dep-1,2026-11-15T10:00:00Z,1.50,eu,007\n"
        "c-2,svc,api.calls,dep-1,2026-11-15T10:05:00Z,2,,\n"
        "c-3,svc,api.calls,,2026-11-15T10:05:00Z,2,,\n")
    report = run(db, clock, path)
    assert (report.accepted, report.lines) == (2, 4)
    assert report.rejected == (Rejection(4, "subject", "is required"),)
    by_id = {e.event_id: e for e in service.list_events(db.uow_factory)}
    assert orjson.loads(by_id["c-1"].data_json) == {"gb": "1.50", "region": "eu", "usage": {"cpu": "007"}}
    assert orjson.loads(by_id["c-2"].data_json) == {"gb": "2"}


def test_csv_data_column_holds_exact_json(db: TestDatabase, clock: FixedClock, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text('id,source,type,subject,time,data\nc-1,svc,t,dep-1,2026-11-15T10:00:00Z,"{""gb"": 1.10}"\n')
    assert run(db, clock, path).accepted == 1
    assert service.list_events(db.uow_factory)[0].data_json == '{"gb": 1.10}'


def test_parquet_round_trip(db: TestDatabase, clock: FixedClock, tmp_path: Path) -> None:
    from datetime import UTC, datetime
    from decimal import Decimal
    table = pa.table({
        "id": ["p-1", "p-2", "p-3"],
        "source": ["svc"] * 3,
        "type": ["api.calls"] * 3,
        "subject": ["dep-1", "dep-2", "dep-3"],
        "time": pa.array([datetime(2026, 11, 15, 10, tzinfo=UTC)] * 3, type=pa.timestamp("us", tz="UTC")),
        "data.requests": pa.array([10, 20, None], type=pa.int64()),
        "data.gb": pa.array([Decimal("1.250"), Decimal("0.001"), Decimal("3.000")], type=pa.decimal128(10, 3)),
    })
    path = tmp_path / "events.parquet"
    pq.write_table(table, path, row_group_size=2)
    progress: list[tuple[int, int]] = []
    report = run(db, clock, path, batch_size=2, progress=progress)
    assert (report.accepted, report.duplicates, report.rejected, report.lines) == (3, 0, (), 3)
    assert progress == [(2, 3), (3, 3)]
    by_id = {e.event_id: e for e in service.list_events(db.uow_factory)}
    assert by_id["p-1"].data_json == '{"requests":10,"gb":1.250}'
    assert by_id["p-3"].data_json == '{"gb":3.000}'
    assert by_id["p-2"].event_time == datetime(2026, 11, 15, 10, tzinfo=UTC)
    assert run(db, clock, path).duplicates == 3


def test_stdin_defaults_to_ndjson(db: TestDatabase, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    data = ("\n".join(ndjson_lines(3)) + "\n").encode()
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(data)))
    report = run(db, clock, None)
    assert report.accepted == 3
    assert service.rejected_events(db.uow_factory) == ()


def test_format_detection() -> None:
    assert detect_format(Path("a.NDJSON"), None) == "ndjson"
    assert detect_format(Path("a.jsonl"), None) == "ndjson"
    assert detect_format(Path("a.json"), None) == "json"
    assert detect_format(Path("a.csv"), None) == "csv"
    assert detect_format(Path("a.parquet"), None) == "parquet"
    assert detect_format(Path("a.txt"), "csv") == "csv"
    assert detect_format(None, None) == "ndjson"
    with pytest.raises(InvalidInput, match="--format"):
        detect_format(Path("a.txt"), None)
    with pytest.raises(InvalidInput, match="must be one of"):
        detect_format(Path("a.txt"), "xml")


def test_missing_file_is_a_clear_error(db: TestDatabase, clock: FixedClock, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot be read"):
        run(db, clock, tmp_path / "nope.ndjson")


def test_compose_event_keeps_data_text() -> None:
    assert compose_event({"id": "a"}, {}, '{"x": 1.0}') == b'{"specversion":"1.0","id":"a","data":{"x": 1.0}}'
    assert compose_event({}, {"x": 1}, None) == b'{"specversion":"1.0","data":{"x":1}}'
    assert compose_event({"specversion": "1.0"}, {}, None) == b'{"specversion":"1.0"}'


def test_a_rerun_does_not_quarantine_the_same_reject_twice(db: TestDatabase, clock: FixedClock,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    path.write_text("\n".join([*ndjson_lines(2), "{bad", '{"also": "bad"}']) + "\n")
    first = run(db, clock, path)
    again = run(db, clock, path)
    assert [r.index for r in first.rejected] == [r.index for r in again.rejected] == [3, 4]  # still reported
    assert [q.item_index for q in service.rejected_events(db.uow_factory)] == [3, 4]  # kept once
    path.write_text("\n".join([*ndjson_lines(2), "{bad, but different"]) + "\n")
    run(db, clock, path)
    assert [q.item_index for q in service.rejected_events(db.uow_factory)] == [3, 4, 3]
