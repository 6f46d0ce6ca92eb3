"""End to end through the CLI: close a month, bill it, reports, GL export, reconcile, reopen."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tally.cli.main import main
from tests.invoicing.fakes import FakeCustomers, RecordingCredits
from tests.ledger.fakes import DailyRater

D = Decimal


@pytest.fixture
def rater(monkeypatch: pytest.MonkeyPatch) -> DailyRater:
    fake = DailyRater(daily={"acme": {date(2026, 10, d): D(20) for d in range(1, 11)},
                             "globex": {date(2026, 10, 31): D(5)}})
    monkeypatch.setattr("tally.ledger.service.default_deps", fake.deps)
    monkeypatch.setattr("tally.invoicing.wiring.default_rater", lambda: fake)
    monkeypatch.setattr("tally.invoicing.wiring.default_billable_customers",
                        lambda: FakeCustomers(("acme", "globex")))
    monkeypatch.setattr("tally.invoicing.wiring.default_credits", RecordingCredits)
    return fake


def test_cli_close_reports_export_reconcile_reopen(cli_env: Path, rater: DailyRater, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["periods", "close", "2026-10", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] and report["trial_balance"]["balanced"]
    assert report["counts"]["usage_days"] == 11  # acme 10 days, globex 1 day
    # acme 200 h: 100 × 0.10 + 100 × 0.08 = 18.00; globex 5 h = 0.50
    assert report["trial_balance"]["totals"]["USD"] == {"debit": "18.50", "credit": "18.50"}
    assert main(["periods", "close", "2026-10"]) == 4  # already closed
    capsys.readouterr()

    assert main(["ledger", "revenue", "2026-10", "--by", "customer", "--json"]) == 0
    rows = {r["key"]: r["amount"] for r in json.loads(capsys.readouterr().out)}
    assert rows == {"acme": "18.00", "globex": "0.50"}
    assert main(["ledger", "unbilled", "2026-10", "--csv"]) == 0
    unbilled = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["customer"], r["ref"], r["amount"]) for r in unbilled] == [
        ("acme", "compute@2026-10", "18.00"), ("globex", "compute@2026-10", "0.50")]
    for command in (["ledger", "trial-balance", "2026-10"], ["ledger", "deferred", "2026-10"],
                    ["ledger", "waterfall", "2026-10"], ["ledger", "entries", "2026-10", "--limit", "5"],
                    ["periods", "list"]):
        assert main(command) == 0, command
    capsys.readouterr()

    out = tmp_path / "gl.csv"
    assert main(["gl", "export", "--period", "2026-10", "--out", str(out)]) == 0
    lines = list(csv.DictReader(io.StringIO(out.read_text())))
    control = [r for r in lines if r["entry_id"] == "CONTROL"]
    assert control == [{**control[0], "debit": "18.50", "credit": "18.50", "currency": "USD"}]
    body = [r for r in lines if r["entry_id"] != "CONTROL"]
    assert sum(D(r["debit"]) for r in body) == D("18.50") and len(body) == 22
    assert set(lines[0]) >= {"entry_id", "date", "account", "debit", "credit", "currency", "customer", "invoice",
                             "memo"}

    assert main(["periods", "reconcile", "2026-10"]) == 0
    assert "PASS" in capsys.readouterr().out
    assert main(["periods", "reopen", "2026-10", "--reason", "late usage from a partner"]) == 0
    assert "reopened" in capsys.readouterr().out
    assert main(["periods", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["status"] == "open"
    assert main(["periods", "close", "2026-10"]) == 0  # re-close after reopen: nothing posted twice
    out = capsys.readouterr().out
    assert "closed" in out and "0 entries" in out and "balanced and reconciled" in out
