"""End to end through the CLI: bill run with failures, issue, render a PDF, late usage → correction, verify."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tally.cli.main import main
from tests.invoicing.fakes import FakeCustomers, FakeRater, RecordingCredits

D = Decimal


@pytest.fixture
def rater(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeRater:
    fake = FakeRater(usage={"acme": D(1000), "globex": D(20)})
    customers = FakeCustomers(("acme", "globex", "broken"))
    fake.fail_for = {"broken"}
    monkeypatch.setattr("tally.invoicing.wiring.default_rater", lambda: fake)
    monkeypatch.setattr("tally.invoicing.wiring.default_billable_customers", lambda: customers)
    monkeypatch.setattr("tally.invoicing.wiring.default_credits", RecordingCredits)
    config = tmp_path / "billing.yaml"
    config.write_text(
        "seller: {name: Tally Cloud GmbH, address: [Hauptstr. 1, 10115 Berlin], tax_id: DE999}\n"
        "tax: {rates: {DE: '0.19'}}\n"
        "customers: {acme: {name: ACME Corp, jurisdiction: DE, payment_terms_days: 14}}\n")
    monkeypatch.setenv("TALLY_BILLING_CONFIG", str(config))
    return fake


def test_cli_journey(cli_env: Path, rater: FakeRater, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bill", "run", "--period", "2026-10", "--dry-run"]) == 4  # dry run still reports the failure
    assert main(["bill", "run", "--period", "2026-10", "--issue"]) == 4  # broken customer fails, others issued
    out = capsys.readouterr()
    assert "broken" in out.out and "1 customer(s) failed" in out.err
    assert main(["bill", "run", "--period", "2026-10", "--issue", "--customer", "acme", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["counts"]["unchanged"] == 1 and report["counts"]["issued"] == 0
    assert main(["invoices", "list", "--period", "2026-10", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    numbers = sorted(i["number"] for i in listed)
    assert len(numbers) == 2 and numbers[0].endswith("-000001") and numbers[1].endswith("-000002")
    acme = next(i for i in listed if i["customer_id"] == "acme")["number"]
    assert main(["invoices", "render", acme, "--format", "pdf", "--out", str(tmp_path / "docs")]) == 0
    pdf = (tmp_path / "docs" / f"{acme}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert main(["invoices", "render", acme, "--format", "html", "--out", str(tmp_path / "docs")]) == 0
    html = (tmp_path / "docs" / f"{acme}.html").read_text()
    assert "ACME Corp" in html and "Tally Cloud GmbH" in html and "first 100 hours" in html
    capsys.readouterr()
    rater.late("acme", D(1100), datetime.now(UTC))  # late events after issuing
    assert main(["invoices", "rerate", acme, "--json"]) == 0
    rerate = json.loads(capsys.readouterr().out)
    assert rerate["net_delta"] == "7.20" and rerate["would_issue"] == "adjustment_invoice"
    assert main(["invoices", "rerate", acme, "--issue", "--reason", "late usage", "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["adjustment"].endswith("-000003") and done["credit_note"] is None
    capsys.readouterr()
    assert main(["invoices", "verify", "--all", "--period", "2026-10"]) == 0, capsys.readouterr().out
    rater.event_usage["globex"] = D(21)
    assert main(["invoices", "verify", "--all"]) == 1
    assert main(["credit-notes", "create", acme, "--reason", "goodwill", "--line", "fee:support=5.00"]) == 0
    capsys.readouterr()
    assert main(["invoices", "export", "--period", "2026-10", "--format", "csv"]) == 0
    csv_text = capsys.readouterr().out
    assert csv_text.splitlines()[0].startswith("document,number,status")
    assert "credit_note" in csv_text
    capsys.readouterr()
    assert main(["invoices", "list", "--period", "2026-10"]) == 0
    assert "total (excluding void) USD" in capsys.readouterr().out
    assert main(["invoices", "show", acme]) == 0 and main(["credit-notes", "list", "--invoice", acme]) == 0
    assert main(["invoices", "pay", acme]) == 0
    assert main(["invoices", "void", acme, "--reason", "x"]) == 4  # paid invoices are not voided
    assert main(["invoices", "show", "TLY-2099-000001"]) == 3
