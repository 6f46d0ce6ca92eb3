"""`tally ingest`, `tally events …`, `tally subjects …` against the test database."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from tally.cli.main import main
from tests.ingest.fakes import cloudevent


def write_events(path: Path, *events: dict[str, object], extra: str = "") -> Path:
    path.write_text("\n".join(orjson.dumps(e).decode() for e in events) + "\n" + extra)
    return path


def out_json(capsys: pytest.CaptureFixture[str]) -> object:
    return json.loads(capsys.readouterr().out)


def test_ingest_reports_counts_and_rejects_then_rerun_is_all_duplicates(
        cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_events(tmp_path / "e.ndjson", cloudevent("a"), cloudevent("b", subject="dep-2"),
                        extra="{broken\n")
    assert main(["ingest", str(path)]) == 0  # rejects are reported, not an error
    captured = capsys.readouterr()
    assert "2 accepted" in captured.out and "1 rejected" in captured.out
    assert f"{path}:3: event: is not valid JSON" in captured.err
    assert main(["ingest", str(path), "--json"]) == 0
    report = out_json(capsys)
    assert isinstance(report, dict)
    assert (report["accepted"], report["duplicates"], report["lines"]) == (0, 2, 3)
    assert report["rejected"] == [{"index": 3, "field": "event", "reason": report["rejected"][0]["reason"]}]


def test_ingest_unknown_suffix_and_missing_file_exit_2(cli_env: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "e.txt").write_text("")
    assert main(["ingest", str(tmp_path / "e.txt")]) == 2
    assert "--format" in capsys.readouterr().err
    assert main(["ingest", str(tmp_path / "none.ndjson")]) == 2


def test_events_list_filters_and_json(cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_events(tmp_path / "e.ndjson", cloudevent("a", time="2026-11-15T10:00:00Z"),
                        cloudevent("b", subject="dep-2", type="other", time="2026-11-15T11:00:00Z"))
    assert main(["ingest", str(path), "--json"]) == 0
    capsys.readouterr()
    assert main(["events", "list", "--json"]) == 0
    assert [e["id"] for e in out_json(capsys)] == ["b", "a"]  # type: ignore[union-attr, index]
    assert main(["events", "list", "--subject", "dep-2", "--type", "other", "--json"]) == 0
    assert [e["id"] for e in out_json(capsys)] == ["b"]  # type: ignore[union-attr, index]
    assert main(["events", "list", "--from", "2026-11-15T10:30:00Z", "--to", "2026-11-15T12:00:00Z", "--json"]) == 0
    assert [e["id"] for e in out_json(capsys)] == ["b"]  # type: ignore[union-attr, index]
    assert main(["events", "list"]) == 0
    assert "dep-2" in capsys.readouterr().out
    assert main(["events", "list", "--from", "yesterday"]) == 2
    assert main(["events", "late", "--json"]) == 0
    assert out_json(capsys) == []


def test_rejected_and_replay(cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_events(tmp_path / "e.ndjson", cloudevent("a", data=[1]))
    assert main(["ingest", str(path), "--json"]) == 0
    capsys.readouterr()
    assert main(["events", "rejected", "--json"]) == 0
    (item,) = out_json(capsys)  # type: ignore[misc]
    assert (item["field"], item["index"]) == ("data", 1)
    assert main(["events", "rejected"]) == 0
    table = capsys.readouterr().out
    assert "Rejected events" in table and "data" in table
    assert main(["events", "replay"]) == 2  # ids or --all
    capsys.readouterr()
    assert main(["events", "replay", str(item["id"]), "--json"]) == 0
    result = out_json(capsys)
    reason = "must be a JSON object, got array"
    assert result == {"accepted": 0, "duplicates": 0,  # still wrong: stays pending
                      "rejected": [{"index": item["id"], "field": "data", "reason": reason}]}
    assert main(["events", "replay", "--all"]) == 0
    assert "1 still rejected" in capsys.readouterr().out


def test_subjects_map_list_and_unmapped(cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_events(tmp_path / "e.ndjson", cloudevent("a", subject="dep-1", time="2026-11-02T00:00:00Z"),
                        cloudevent("b", subject="dep-9", time="2026-11-03T00:00:00Z"))
    assert main(["ingest", str(path), "--json"]) == 0
    capsys.readouterr()
    assert main(["events", "unmapped", "--period", "2026-11", "--json"]) == 0
    assert [u["subject"] for u in out_json(capsys)] == ["dep-1", "dep-9"]  # type: ignore[union-attr, index]
    assert main(["subjects", "map", "dep-1", "acme", "--from", "2026-11-01T00:00:00Z"]) == 0
    assert "mapped: dep-1 → acme" in capsys.readouterr().out
    assert main(["subjects", "map", "dep-1", "globex", "--from", "2026-11-10T00:00:00Z"]) == 4  # overlap: conflict
    assert "mapping_overlap" in capsys.readouterr().err
    assert main(["subjects", "map", "dep-1", "globex", "--from", "2026-11-10T00:00:00Z", "--supersede"]) == 0
    capsys.readouterr()
    assert main(["subjects", "list", "dep-1", "--json"]) == 0
    assert [(m["customer_id"], m["effective_to"]) for m in out_json(capsys)] == [  # type: ignore[union-attr, index]
        ("acme", "2026-11-10T00:00:00+00:00"), ("globex", None)]
    assert main(["subjects", "list"]) == 0
    assert "globex" in capsys.readouterr().out
    assert main(["events", "unmapped"]) == 0
    out = capsys.readouterr().out
    assert "dep-9" in out and "dep-1" not in out
