"""The meters and usage commands end to end against the test database."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import update

from tally.cli.main import main
from tally.ingest.jsonexact import loads_exact
from tally.store.schema.metering import meter_rollups
from tests.conftest import TestDatabase
from tests.metering.builders import T0, event, ingest, map_subject

DEMO = Path(__file__).parents[2] / "src" / "tally" / "demo" / "catalog.yaml"


def test_meters_commands(cli_env: Path, db: TestDatabase, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["meters", "apply", str(DEMO), "--json"]) == 0
    changes = json.loads(capsys.readouterr().out)
    assert [(c["slug"], c["action"]) for c in changes][:2] == [("instance_hours", "created"), ("egress_gb", "created")]
    assert main(["meters", "apply", str(DEMO)]) == 0
    assert "unchanged instance_hours@1" in capsys.readouterr().out
    assert main(["meters", "list", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 5
    map_subject(db.uow_factory, "dep-1", "cust-1", T0)
    ingest(db.uow_factory, [event("compute.instance.usage", "dep-1", T0 + timedelta(hours=h),
                                  '{"hours": 0.1, "size": "m5.large", "region": "eu"}') for h in range(30)]
           + [event("search.requests", "dep-1", T0, '{"requests": "many"}')])
    assert main(["usage", "instance_hours", "--customer", "cust-1", "--from", "2026-10-01T00:00:00Z",
                 "--to", "2026-11-01T00:00:00Z", "--window", "day", "--json"]) == 0
    out = loads_exact(capsys.readouterr().out)
    assert [r["value"] for r in out["data"]] == [Decimal("2.4"), Decimal("0.6")]
    assert main(["usage", "instance_hours", "--customer", "cust-1", "--from", "2026-10-01T00:00:00Z",
                 "--to", "2026-11-01T00:00:00Z", "--window", "day", "--group-by", "size"]) == 0
    assert "m5.large" in capsys.readouterr().out
    assert main(["meters", "rejects", "--json"]) == 0
    assert "not a number" in json.loads(capsys.readouterr().out)[0]["reason"]
    assert main(["meters", "verify"]) == 0
    capsys.readouterr()
    with db.uow_factory() as uow:
        uow.connection.execute(update(meter_rollups).values(value_sum=Decimal("5")))
        uow.commit()
    assert main(["meters", "verify", "--from", "2026-10-01T00:00:00Z", "--to", "2026-11-01T00:00:00Z"]) == 70
    assert "30 differences" in capsys.readouterr().out
    assert main(["meters", "rebuild", "instance_hours", "--from", "2026-10-01T00:00:00Z",
                 "--to", "2026-11-01T00:00:00Z", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["eventsRead"] == 30
    assert main(["meters", "verify"]) == 0
    assert main(["meters", "delete", "ingest_gb"]) == 0
    assert main(["meters", "delete", "ingest_gb"]) == 3
