"""End to end through the HTTP API: billing run, list, issue, pay, void, corrections, documents, roles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from tally.bootstrap import Tally
from tally.clock import FixedClock
from tests.invoicing.fakes import FakeCustomers, FakeRater, RecordingCredits

D = Decimal
Keys = Callable[[str], dict[str, str]]


@pytest.fixture
def rater(monkeypatch: pytest.MonkeyPatch) -> FakeRater:
    fake = FakeRater(usage={"acme": D(1000), "globex": D(20)}, fail_for={"broken"})
    monkeypatch.setattr("tally.invoicing.wiring.default_rater", lambda: fake)
    monkeypatch.setattr("tally.invoicing.wiring.default_billable_customers",
                        lambda: FakeCustomers(("acme", "globex", "broken")))
    monkeypatch.setattr("tally.invoicing.wiring.default_credits", RecordingCredits)
    return fake


def test_api_journey(client: TestClient, key_for: Keys, rater: FakeRater, tally_app: Tally) -> None:
    billing, viewer = key_for("billing"), key_for("viewer")
    assert client.post("/api/v1/billing-runs", json={"period": "2026-10"}, headers=viewer).status_code == 403
    assert client.get("/api/v1/invoices").status_code == 401
    early = client.post("/api/v1/billing-runs", json={"period": "2026-11"}, headers=billing)
    assert early.status_code == 409 and early.json()["code"] == "period_not_ended"
    run = client.post("/api/v1/billing-runs", json={"period": "2026-10"}, headers=billing).json()
    assert run["counts"]["drafted"] == 2 and not run["ok"] and run["failures"][0]["customer_id"] == "broken"
    drafts = client.get("/api/v1/invoices", params={"period": "2026-10", "status": "draft"}, headers=viewer).json()
    acme = next(i for i in drafts["items"] if i["customer_id"] == "acme")
    assert acme["number"] is None and acme["total"] == "98.80"
    issued = client.post(f"/api/v1/invoices/{acme['invoice_id']}/issue", headers=billing).json()
    assert issued["number"] == "TLY-2026-000001" and issued["status"] == "issued"
    assert issued["due_on"] == "2026-12-15"  # net 30 from 2026-11-15
    again = client.post(f"/api/v1/invoices/{acme['invoice_id']}/issue", headers=billing)
    assert again.status_code == 409 and again.json()["code"] == "invoice_illegal_transition"
    assert again.headers["content-type"].startswith("application/problem+json")
    clock = tally_app.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(days=1))
    rater.late("acme", D(900), clock.now())
    preview = client.get("/api/v1/invoices/TLY-2026-000001/rerate", headers=viewer).json()
    assert preview["would_issue"] == "credit_note" and preview["net_delta"] == "-7.20"
    fixed = client.post("/api/v1/invoices/TLY-2026-000001/corrections", json={"reason": "dedup"},
                        headers=billing).json()
    assert fixed["credit_note"]["number"] == "TLY-CN-2026-000001" and fixed["adjustment"] is None
    assert client.get("/api/v1/invoices/TLY-2026-000001/verify", headers=viewer).json()["matches"] is True
    pdf = client.get("/api/v1/invoices/TLY-2026-000001/document", params={"format": "pdf"}, headers=viewer)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    note_html = client.get("/api/v1/invoices/TLY-CN-2026-000001/document", params={"format": "html"},
                           headers=viewer)
    assert "Credit note" in note_html.text and "TLY-2026-000001" in note_html.text
    partial = client.post("/api/v1/invoices/TLY-2026-000001/credit-notes",
                          json={"reason": "goodwill", "lines": {"fee:support": "1.00"}}, headers=billing)
    assert partial.status_code == 201 and partial.json()["total"] == "1.00"
    notes = client.get("/api/v1/credit-notes", params={"invoice": "TLY-2026-000001"}, headers=viewer).json()
    assert [n["number"] for n in notes["items"]] == ["TLY-CN-2026-000001", "TLY-CN-2026-000002"]
    assert client.post("/api/v1/invoices/TLY-2026-000001/pay", headers=billing).json()["status"] == "paid"
    globex = next(i for i in drafts["items"] if i["customer_id"] == "globex")
    client.post(f"/api/v1/invoices/{globex['invoice_id']}/issue", headers=billing)
    voided = client.post("/api/v1/invoices/TLY-2026-000002/void", json={"reason": "test"}, headers=billing).json()
    assert voided["invoice"]["status"] == "void" and voided["credit_note"]["total"] == voided["invoice"]["total"]
    upcoming = client.get("/api/v1/customers/acme/upcoming-invoice", headers=viewer).json()
    assert upcoming["billing_period"]["start"].startswith("2026-11-01") and upcoming["number"] is None
    export = client.get("/api/v1/invoices/export", params={"period": "2026-10", "format": "csv"}, headers=viewer)
    assert export.status_code == 200 and export.text.startswith("document,number")
    missing = client.get("/api/v1/invoices/TLY-2026-999999", headers=viewer)
    assert missing.status_code == 404 and missing.json()["code"] == "invoice_not_found"
