"""The demo end to end through the CLI, small: every stage runs and the books agree with the invoices."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tally.cli.main import main
from tests.conftest import TestDatabase

EVENTS = 30_000


@pytest.mark.slow
def test_small_demo_runs_every_stage_and_the_checks_pass(cli_env: Path, db: TestDatabase,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--month", "2026-10", "--events", str(EVENTS), "--customers", "25", "--seed", "3",
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)

    assert summary["accepted"] + summary["duplicates"] + summary["rejected"] == EVENTS
    assert summary["duplicates"] >= EVENTS // 100 - 1  # 1 % of lines are deliberate re-sends
    assert summary["rejected"] >= 1  # a malformed line is quarantined, not lost
    assert summary["customers_invoiced"] >= 20
    assert set(summary["billed"]) >= {"USD", "EUR"}
    assert summary["trial_balance_balanced"] is True
    assert summary["reconciliation"] and all(check["passed"] for check in summary["reconciliation"])

    invoices = sorted((cli_env / "demo" / "invoices").glob("*.json"))
    assert len(invoices) >= summary["customers_invoiced"]
    assert list((cli_env / "demo" / "invoices").glob("*.pdf"))

    assert main(["invoices", "verify", "--all", "--period", "2026-10"]) == 0
    assert main(["meters", "verify", "--from", "2026-10-01T00:00:00Z", "--to", "2026-11-01T00:00:00Z"]) == 0
    capsys.readouterr()

    assert main(["demo", "--month", "2026-10", "--events", "1000", "--customers", "10"]) != 0  # not on used data
    assert "fresh" in capsys.readouterr().err
