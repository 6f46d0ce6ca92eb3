"""The catalog commands end to end: price quote for every model, catalog apply, rate, credits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tally.cli.main import main
from tests.rating.fakes import FakeUsage

DEMO = Path(__file__).parents[2] / "src" / "tally" / "demo" / "catalog.yaml"

PRICES = {
    "flat": ('model: flat\ncurrency: USD\namount: "49.00"\n', "1", "49.00"),
    "per_unit": ('model: per_unit\ncurrency: JPY\nunit_price: "0.5"\n', "5", "2"),
    "package": ('model: package\ncurrency: KWD\npackage: {size: 1000, price: "0.0015"}\nrounding: half_up\n',
                "2500", "0.005"),
    "graduated": ('model: graduated\ncurrency: USD\ntiers:\n  - {up_to: 1000, unit_price: "0", flat_price: "0"}\n'
                  '  - {up_to: 10000, unit_price: "0.01"}\n'
                  '  - {up_to: null, unit_price: "0.005", flat_price: "2.00"}\n',
                  "12345", "103.72"),
    "volume": ('model: volume\ncurrency: USD\ntiers:\n  - {up_to: 1000, unit_price: "0.02"}\n'
               '  - {up_to: null, unit_price: "0.01"}\n', "12340", "123.40"),
}


@pytest.mark.parametrize("model", sorted(PRICES))
def test_price_quote_json_for_every_model(model: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text, quantity, amount = PRICES[model]
    path = tmp_path / "price.yaml"
    path.write_text(text)
    assert main(["price", "quote", "--price", str(path), "--quantity", quantity, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["amount"] == amount and out["explanation"]
    assert main(["price", "quote", "--price", str(path), "--quantity", quantity]) == 0
    assert amount in capsys.readouterr().out


def test_price_quote_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "price.yaml"
    path.write_text('model: volume\ncurrency: USD\ntiers: [{up_to: 10, unit_price: "1"}, {up_to: 5}]\n')
    assert main(["price", "quote", "--price", str(path), "--quantity", "1"]) == 2
    assert "tiers[1].up_to" in capsys.readouterr().err
    path.write_text('model: per_unit\ncurrency: USD\nunit_price: "1"\n')
    assert main(["price", "quote", "--price", str(path), "--quantity", "-1"]) == 2


def test_catalog_apply_rate_and_credits(cli_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["catalog", "apply", str(DEMO), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "+ product compute_m5_large@1" in out and "dry run, nothing written" in out
    assert main(["catalog", "show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["products"] == []
    assert main(["catalog", "apply", str(DEMO), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["create"] == 16
    assert main(["catalog", "show", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["products"]) == 9

    bad = tmp_path / "bad.yaml"
    bad.write_text(DEMO.read_text().replace("meter: search_requests,", "meter: nope,"))
    assert main(["catalog", "apply", str(bad)]) == 2
    assert "products[8].meter" in capsys.readouterr().err

    assert main(["customers", "list", "--period", "2026-11", "--json"]) == 0
    assert [c["customer_id"] for c in json.loads(capsys.readouterr().out)] == ["cust-ent-001", "cust-ent-002"]
    assert main(["customers", "subscribe", "cust-0001", "cust-0002", "--plan", "self-serve",
                 "--start", "2026-12-01T00:00:00Z"]) == 0
    assert "2 contract version(s) written" in capsys.readouterr().out
    assert main(["customers", "list", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 4
    assert main(["contracts", "show", "--customer", "cust-ent-002"]) == 0
    assert "cust-ent-002@1" in capsys.readouterr().out
    assert main(["contracts", "show", "--customer", "nobody"]) == 3
    capsys.readouterr()
    assert main(["credits", "breakage", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["credit_id"] == "migration-credit"
    assert main(["credits", "balances", "--customer", "cust-ent-001"]) == 0
    assert "search-bundle" in capsys.readouterr().out

    assert main(["rate", "--customer", "cust-ent-001", "--period", "2026-11", "--from-events", "--json"]) == 0
    from_events = json.loads(capsys.readouterr().out)  # no events stored: every usage line is zero
    assert {ln["line_key"]: ln["amount"] for ln in from_events["lines"]}["usage:ent:compute_m5_large"] == "0.00"
    usage = FakeUsage().set("cust-ent-001", "instance_hours", "10", size="m5.large")
    monkeypatch.setattr("tally.rating.service.default_usage_source", lambda: usage)
    assert main(["rate", "--customer", "cust-ent-001", "--period", "2026-11", "--json"]) == 0
    rated = json.loads(capsys.readouterr().out)
    by_key = {ln["line_key"]: ln for ln in rated["lines"]}
    assert by_key["usage:ent:compute_m5_large"]["amount"] == "0.80"
    assert by_key["true-up:min-spend-2026"]["amount"] == "3499.20"  # 5000 − (1500 + 0.80)
    assert rated["total"] == "0.00"  # the prepaid credit covers it all
    assert main(["rate", "--customer", "cust-ent-001", "--period", "2026-11"]) == 0
    assert "minimum spend 5000.00 USD" in capsys.readouterr().out
