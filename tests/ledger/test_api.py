"""The ledger over HTTP: reports for readers, close and reopen for admin and finance only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tally.bootstrap import Tally
from tally.clock import FixedClock
from tests.api.conftest import client, key_for  # noqa: F401  (fixtures)

Headers = Callable[[str], dict[str, str]]


@pytest.fixture
def after_october(clock: FixedClock) -> FixedClock:
    clock.current = datetime(2026, 11, 2, tzinfo=UTC)
    return clock


def test_close_reports_and_roles(client: TestClient, key_for: Headers,  # noqa: F811
                                 tally_app: Tally, after_october: FixedClock) -> None:
    viewer, finance, billing = key_for("viewer"), key_for("finance"), key_for("billing")
    assert client.post("/api/v1/periods/2026-10/close", headers=viewer).status_code == 403
    assert client.post("/api/v1/periods/2026-10/close", headers=billing).status_code == 403
    closed = client.post("/api/v1/periods/2026-10/close", headers=finance)
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["passed"] and body["trial_balance"]["balanced"] and body["period"] == "2026-10"
    again = client.post("/api/v1/periods/2026-10/close", headers=finance)
    assert again.status_code == 409 and again.json()["code"] == "period_already_closed"
    not_ended = client.post("/api/v1/periods/2026-11/close", headers=finance)
    assert not_ended.status_code == 409 and not_ended.json()["code"] == "period_not_ended"

    for path in ("/api/v1/ledger/trial-balance?period=2026-10", "/api/v1/ledger/revenue?period=2026-10&by=customer",
                 "/api/v1/ledger/deferred?period=2026-10", "/api/v1/ledger/unbilled?period=2026-10",
                 "/api/v1/ledger/waterfall?period=2026-10", "/api/v1/ledger/entries?period=2026-10",
                 "/api/v1/periods", "/api/v1/periods/2026-10/reconciliation"):
        response = client.get(path, headers=viewer)
        assert response.status_code == 200, (path, response.text)
    export = client.get("/api/v1/ledger/gl-export?period=2026-10", headers=viewer)
    assert export.status_code == 200 and export.text.startswith("entry_id,date,account")
    assert client.get("/api/v1/ledger/trial-balance?period=2026-10").status_code == 401

    forbidden = client.post("/api/v1/periods/2026-10/reopen", json={"reason": "x"}, headers=viewer)
    assert forbidden.status_code == 403
    reopened = client.post("/api/v1/periods/2026-10/reopen", json={"reason": "late usage"}, headers=finance)
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    with tally_app.uow_factory() as uow:
        assert [r.action for r in uow.audit.list(subject_type="ledger_period")] == ["period.reopened",
                                                                                   "period.closed"]
