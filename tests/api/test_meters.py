"""The meters API: OpenMeter's shapes, exact values, auth — and the official OpenMeter client, unchanged."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from decimal import Decimal

import openmeter
import pytest
import uvicorn
from corehttp.exceptions import ResourceNotFoundError
from fastapi.testclient import TestClient

from tally.api.app import create_app
from tally.bootstrap import Tally
from tally.ingest.jsonexact import loads_exact
from tests.metering.builders import T0, event, ingest, map_subject

H = dt.timedelta(hours=1)
METER = {"slug": "tokens_total", "name": "Tokens", "description": "AI tokens", "aggregation": "SUM",
         "eventType": "prompt", "valueProperty": "$.tokens", "groupBy": {"model": "$.model"}}


def _seed(tally_app: Tally) -> None:
    map_subject(tally_app.uow_factory, "app-1", "cust-1", T0)
    map_subject(tally_app.uow_factory, "app-2", "cust-2", T0)
    ingest(tally_app.uow_factory, [
        event("prompt", "app-1", T0 + dt.timedelta(minutes=1), '{"tokens": 0.1, "model": "gpt"}'),
        event("prompt", "app-1", T0 + dt.timedelta(minutes=2), '{"tokens": 0.2, "model": "gpt"}'),
        event("prompt", "app-1", T0 + 25 * H, '{"tokens": 12345678901234567890.123456789, "model": "llama"}'),
        event("prompt", "app-2", T0 + 2 * H, '{"tokens": 7, "model": "gpt"}'),
        event("prompt", "app-2", T0 + 2 * H, '{"model": "gpt"}'),
    ])


def test_crud_query_and_exact_values(client: TestClient, tally_app: Tally, key_for) -> None:  # type: ignore[no-untyped-def]
    billing, viewer = key_for("billing"), key_for("viewer")
    assert client.post("/api/v1/meters", json=METER).status_code == 401
    assert client.post("/api/v1/meters", json=METER, headers=viewer).status_code == 403
    created = client.post("/api/v1/meters", json=METER, headers=billing)
    assert created.status_code == 201
    body = created.json()
    assert {k: body[k] for k in ("slug", "aggregation", "eventType", "valueProperty", "groupBy", "version")} == {
        "slug": "tokens_total", "aggregation": "SUM", "eventType": "prompt", "valueProperty": "$.tokens",
        "groupBy": {"model": "$.model"}, "version": 1}
    assert len(body["id"]) == 26 and body["createdAt"].endswith("Z")
    bad = client.post("/api/v1/meters", json={**METER, "aggregation": "MEDIAN"}, headers=billing)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "meter.aggregation"
    _seed(tally_app)
    q = client.get("/api/v1/meters/tokens_total/query", headers=viewer,
                   params={"from": "2026-10-01T00:00:00Z", "to": "2026-10-03T00:00:00Z", "windowSize": "DAY",
                           "groupBy": ["subject", "model"], "filterGroupBy[model]": "gpt"})
    assert q.status_code == 200
    data = loads_exact(q.content)
    assert data["windowSize"] == "DAY" and data["from"] == "2026-10-01T00:00:00Z"
    assert [(r["subject"], r["groupBy"], r["value"], r["windowStart"]) for r in data["data"]] == [
        ("app-1", {"model": "gpt"}, Decimal("0.3"), "2026-10-01T00:00:00Z"),
        ("app-2", {"model": "gpt"}, 7, "2026-10-01T00:00:00Z")]
    assert b'"value":0.3' in q.content
    exact = client.get("/api/v1/meters/tokens_total/query", headers=viewer, params={"customer": "cust-1"})
    assert b"12345678901234567890.423456789" in exact.content
    minute = client.get("/api/v1/meters/tokens_total/query", headers=viewer,
                        params={"from": "2026-10-01T00:00:00Z", "to": "2026-10-01T01:00:00Z", "windowSize": "MINUTE"})
    assert [r["value"] for r in loads_exact(minute.content)["data"]] == [Decimal("0.1"), Decimal("0.2")]
    rejects = client.get("/api/v1/meter-rejects", headers=viewer).json()
    assert len(rejects) == 1 and "missing" in rejects[0]["reason"]
    assert client.delete("/api/v1/meters/tokens_total", headers=billing).status_code == 204
    assert client.get("/api/v1/meters/tokens_total", headers=viewer).status_code == 404
    assert [m["slug"] for m in client.get("/api/v1/meters?includeDeleted=true", headers=viewer).json()] == [
        "tokens_total"]


@pytest.fixture
def om(tally_app: Tally, key_for) -> Iterator[openmeter.Client]:  # type: ignore[no-untyped-def]
    """The real client over real HTTP: Tally served by uvicorn in a thread on a free local port."""
    token = key_for("billing")["Authorization"].removeprefix("Bearer ")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(tally_app), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        with openmeter.Client(endpoint=f"http://127.0.0.1:{port}", token=token) as c:
            yield c
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_official_openmeter_client(om: openmeter.Client, tally_app: Tally) -> None:
    created = om.meters.create(METER)
    assert created.slug == "tokens_total" and created.aggregation == "SUM" and created.group_by == {"model": "$.model"}
    assert [m.slug for m in om.meters.list()] == ["tokens_total"]
    assert om.meters.get("tokens_total").id == created.id
    assert om.meters.get(created.id).slug == "tokens_total"
    _seed(tally_app)
    result = om.meters.query_json("tokens_total", from_parameter=dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
                                  to=dt.datetime(2026, 10, 2, tzinfo=dt.UTC), window_size="HOUR",
                                  group_by=["subject"], filter_group_by={"model": "gpt"})
    assert [(r.subject, r.value) for r in result.data] == [("app-1", pytest.approx(0.3)), ("app-2", 7)]
    posted = om.meters.query("tokens_total", {"groupBy": ["model"], "filterCustomerId": ["cust-1"]})
    assert sorted((r.group_by["model"], r.customer_id) for r in posted.data) == [("gpt", "cust-1"),
                                                                                   ("llama", "cust-1")]
    om.meters.delete("tokens_total")
    with pytest.raises(ResourceNotFoundError):
        om.meters.get("tokens_total")
