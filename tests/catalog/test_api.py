"""The catalog over HTTP: read, apply (dry run and for real), quote, customers, credits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tally.access import service
from tally.api.app import create_app
from tally.audit.model import Actor
from tally.bootstrap import Tally

DEMO = (Path(__file__).parents[2] / "src" / "tally" / "demo" / "catalog.yaml").read_text()


@pytest.fixture
def client(tally_app: Tally) -> Iterator[TestClient]:
    with TestClient(create_app(tally_app)) as c:
        yield c


def key(tally_app: Tally, role: str) -> dict[str, str]:
    created = service.create_key(tally_app.uow_factory, role=role, name=f"t-{role}", actor=Actor.cli_user("t"),
                                 clock=tally_app.clock)
    return {"Authorization": f"Bearer {created.secret}"}


def test_catalog_api(client: TestClient, tally_app: Tally) -> None:
    billing, viewer = key(tally_app, "billing"), key(tally_app, "viewer")
    assert client.post("/api/v1/catalog/apply", content=DEMO, headers=viewer).status_code == 403
    dry = client.post("/api/v1/catalog/apply?dry_run=true", content=DEMO, headers=billing)
    assert dry.status_code == 200 and dry.json()["applied"] is False
    assert client.get("/api/v1/catalog", headers=viewer).json()["products"] == []
    assert client.post("/api/v1/catalog/apply", content=DEMO, headers=billing).json()["counts"]["create"] == 16
    catalog = client.get("/api/v1/catalog", headers=viewer).json()
    usd = next(b for b in catalog["price_book_versions"] if b["version_id"] == "list-usd@1")
    assert usd["prices"]["egress"]["tiers"][1] == {"up_to": "10240", "unit_price": "0.09", "flat_price": "0"}
    bad = client.post("/api/v1/catalog/apply", content=DEMO.replace("plan: enterprise, start", "plan: x, start"),
                      headers=billing)
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_catalog"
    assert bad.json()["errors"][0]["field"] == "customers[0].subscriptions[0].plan"
    quote = client.post("/api/v1/prices/quote?quantity=3", headers=viewer,
                        content='{"model": "per_unit", "currency": "KWD", "unit_price": "0.0015"}')
    assert quote.json() == {"amount": "0.004", "currency": "KWD", "explanation": quote.json()["explanation"]}
    customers = client.get("/api/v1/customers", headers=viewer).json()
    assert [c["customer_id"] for c in customers] == ["cust-ent-001", "cust-ent-002"]
    credits = client.get("/api/v1/customers/cust-ent-002/credits", headers=viewer).json()
    assert credits[0]["expired"] is True and credits[0]["remaining"] == "500.00"
    assert client.get("/api/v1/customers/nobody/credits", headers=viewer).status_code == 404
    subscribed = client.post("/api/v1/customers/subscribe", headers=billing,
                             json={"customer_ids": ["cust-0001", "cust-0002"], "plan": "self-serve",
                                   "start": "2026-11-01T00:00:00Z"})
    assert [r["action"] for r in subscribed.json()] == ["create", "create"]
    bad_plan = client.post("/api/v1/customers/subscribe", headers=billing,
                           json={"customer_ids": ["cust-0003"], "plan": "gold", "start": "2026-11-01T00:00:00Z"})
    assert bad_plan.status_code == 400


def test_openapi_documents_the_catalog_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "application/yaml" in paths["/api/v1/catalog/apply"]["post"]["requestBody"]["content"]
    assert "/api/v1/customers/{customer_id}/rating" in paths


def test_rating_preview_and_breakage(client: TestClient, tally_app: Tally, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.rating.fakes import FakeUsage

    billing = key(tally_app, "billing")
    client.post("/api/v1/catalog/apply", content=DEMO, headers=billing)
    unmetered = client.get("/api/v1/customers/cust-ent-001/rating?period=2026-11", headers=billing).json()
    assert {ln["line_key"]: ln["quantity"] for ln in unmetered["lines"]}["usage:ent:egress"] == "0"  # no events yet
    monkeypatch.setattr("tally.rating.service.default_usage_source",
                        lambda: FakeUsage().set("cust-ent-001", "egress_gb", "1100"))
    rated = client.get("/api/v1/customers/cust-ent-001/rating?period=2026-11", headers=billing).json()
    lines = {ln["line_key"]: ln for ln in rated["lines"]}
    assert lines["usage:ent:egress"]["amount"] == "90.00" and lines["discount:egress-2026"]["amount"] == "-9.00"
    assert rated["inputs"]["contract_version_id"] == "cust-ent-001@1"
    breakage = client.get("/api/v1/credits/breakage", headers=billing).json()
    assert [(b["customer_id"], b["remaining"]) for b in breakage] == [("cust-ent-002", "500.00")]
