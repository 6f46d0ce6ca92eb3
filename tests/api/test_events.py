"""POST/GET /api/v1/events through the app: media types, 204/202/400, auth, limits, 503, listing."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from tally.api.app import create_app
from tally.api.routes import events as events_route
from tally.bootstrap import Tally

Headers = dict[str, str]
CE, BATCH, JSON = "application/cloudevents+json", "application/cloudevents-batch+json", "application/json"


def event(i: int, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "specversion": "1.0", "id": f"ev-{i}", "source": "test-producer", "type": "api.request",
        "subject": f"dep-{i % 3}", "time": f"2026-11-15T10:{i % 60:02d}:00Z", "data": {"count": i + 1},
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def post(client: TestClient, payload: Any, headers: Headers, content_type: str = BATCH) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post("/api/v1/events", content=body, headers={**headers, "Content-Type": content_type})


@pytest.fixture
def writer(key_for: Callable[[str], Headers]) -> Headers:
    return key_for("ingest")


@pytest.fixture
def reader(key_for: Callable[[str], Headers]) -> Headers:
    return key_for("viewer")


def listed(client: TestClient, reader: Headers, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/events", params=params, headers=reader)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(JSON)
    body: list[dict[str, Any]] = response.json()
    return body


def test_one_cloudevent_is_stored_and_listed(client: TestClient, writer: Headers, reader: Headers) -> None:
    response = post(client, event(1), writer, CE)
    assert response.status_code == 204 and response.content == b""
    [item] = listed(client, reader)
    assert item["event"] == {"id": "ev-1", "source": "test-producer", "specversion": "1.0", "type": "api.request",
                             "subject": "dep-1", "time": "2026-11-15T10:01:00Z", "data": {"count": 2},
                             "datacontenttype": JSON}
    assert item["ingestedAt"].startswith("2026-11-15T12:00:00") and item["storedAt"] == item["ingestedAt"]


@pytest.mark.parametrize("content_type", [BATCH, JSON, f"{JSON}; charset=utf-8"])
def test_a_batch_then_its_resend_stores_each_event_once(client: TestClient, writer: Headers, reader: Headers,
                                                        content_type: str) -> None:
    batch = [event(i) for i in range(5)]
    assert post(client, batch, writer, content_type).status_code == 204
    assert post(client, batch, writer, content_type).status_code == 204  # duplicates are acknowledged
    assert sorted(e["event"]["id"] for e in listed(client, reader)) == [f"ev-{i}" for i in range(5)]


def test_application_json_takes_one_event_too(client: TestClient, writer: Headers, reader: Headers) -> None:
    assert post(client, event(7), writer, JSON).status_code == 204
    assert [e["event"]["id"] for e in listed(client, reader)] == ["ev-7"]


def test_some_rejected_answers_202_with_each_index_field_and_reason(client: TestClient, writer: Headers,
                                                                  reader: Headers) -> None:
    assert post(client, [event(0)], writer).status_code == 204
    batch = [event(0), event(1), event(2, time="yesterday"), event(3), event(4, subject=None)]
    response = post(client, batch, writer)
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 2 and body["duplicates"] == 1
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [(2, "time"), (4, "subject")]
    assert all(r["reason"] for r in body["rejected"])
    assert sorted(e["event"]["id"] for e in listed(client, reader)) == ["ev-0", "ev-1", "ev-3"]


def test_all_rejected_answers_400_problem_with_per_item_errors(client: TestClient, writer: Headers,
                                                              reader: Headers) -> None:
    response = post(client, [event(0, id=None), event(1, time="2026-11-15T10:00:00")], writer)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 400 and problem["code"] == "events_rejected"
    assert [(e["index"], e["field"]) for e in problem["errors"]] == [(0, "id"), (1, "time")]
    assert problem["rejected"] == problem["errors"] and problem["accepted"] == 0
    assert listed(client, reader) == []


def test_a_body_that_is_not_json_is_a_400_problem(client: TestClient, writer: Headers) -> None:
    response = post(client, b"{not json", writer)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


def test_payload_numbers_come_back_digit_for_digit(client: TestClient, writer: Headers, reader: Headers) -> None:
    body = (b'{"specversion":"1.0","id":"exact","source":"s","type":"t","subject":"x",'
            b'"time":"2026-11-15T11:00:00Z","data":{"gb":0.10000000000000000000001,"n":12345678901234567890}}')
    assert post(client, body, writer, CE).status_code == 204
    text = client.get("/api/v1/events", headers=reader).text
    assert "0.10000000000000000000001" in text and "12345678901234567890" in text


def test_other_media_types_are_415(client: TestClient, writer: Headers) -> None:
    response = post(client, [event(1)], writer, "text/plain")
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"
    assert client.post("/api/v1/events", content=b"[]", headers=writer).status_code == 415


def test_a_body_over_the_limit_is_413(tally_app: Tally, key_for: Callable[[str], Headers]) -> None:
    small = dataclasses.replace(tally_app, settings=dataclasses.replace(tally_app.settings, request_bytes_max=200))
    with TestClient(create_app(small)) as client:
        response = post(client, [event(i) for i in range(10)], key_for("ingest"))
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"


def test_keys_and_roles(client: TestClient, writer: Headers, reader: Headers) -> None:
    assert post(client, [event(1)], {}).status_code == 401
    assert post(client, [event(1)], reader).status_code == 403  # a viewer may not write
    assert client.get("/api/v1/events", headers=writer).status_code == 403  # an ingest key may not read
    assert client.get("/api/v1/events").status_code == 401


def test_listing_filters_and_order(client: TestClient, writer: Headers, reader: Headers) -> None:
    batch = [event(i, type="api.request" if i % 2 else "storage.used") for i in range(12)]
    assert post(client, batch, writer).status_code == 204
    everything = listed(client, reader)
    assert len(everything) == 12
    assert {e["event"]["subject"] for e in listed(client, reader, subject="dep-1")} == {"dep-1"}
    assert {e["event"]["type"] for e in listed(client, reader, type="storage.used")} == {"storage.used"}
    assert len(listed(client, reader, limit=5)) == 5
    window = listed(client, reader, **{"from": "2026-11-15T10:03:00Z", "to": "2026-11-15T10:06:00+00:00"})
    assert {e["event"]["id"] for e in window} == {"ev-3", "ev-4", "ev-5", "ev-6"}  # both ends inclusive


@pytest.mark.parametrize("params", [{"from": "yesterday"}, {"to": "2026-11-15T10:00:00"}, {"limit": 0},
                                    {"limit": 101}, {"from": "2026-11-15T10:00:00Z", "to": "2026-11-14T10:00:00Z"}])
def test_bad_listing_parameters_are_400(client: TestClient, reader: Headers, params: dict[str, Any]) -> None:
    response = client.get("/api/v1/events", params=params, headers=reader)
    assert response.status_code == 400 and response.headers["content-type"].startswith("application/problem+json")


def test_a_database_lost_mid_request_is_503_with_retry_after(client: TestClient, writer: Headers,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def lost(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("INSERT INTO events ...", {}, Exception("server closed the connection"))

    monkeypatch.setattr(events_route, "ingest_body", lost)
    response = post(client, [event(1)], writer)
    assert response.status_code == 503 and int(response.headers["retry-after"]) > 0
    assert response.json()["code"] == "unavailable"


def test_metrics_count_latency_and_batch_size(client: TestClient, writer: Headers) -> None:
    assert post(client, [event(i) for i in range(3)], writer).status_code == 204
    text = client.get("/metrics").text
    assert 'tally_ingest_request_duration_seconds_count{status="204"}' in text
    assert "tally_ingest_request_events_bucket" in text


def test_an_ingest_key_is_looked_up_once_per_few_seconds(client: TestClient, writer: Headers,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from tally.api import security

    calls: list[str] = []
    real = security.authenticate

    def counting(uow_factory: Any, token: str) -> Any:
        calls.append(token)
        return real(uow_factory, token)

    monkeypatch.setattr(security, "authenticate", counting)
    for i in range(3):
        assert post(client, [event(i)], writer).status_code == 204
    assert len(calls) == 1
    assert post(client, [event(9)], {"Authorization": writer["Authorization"] + "x"}).status_code == 401


def test_a_revoked_ingest_key_is_refused_once_its_cache_entry_expires(
        client: TestClient, tally_app: Tally, writer: Headers, monkeypatch: pytest.MonkeyPatch) -> None:
    from tally.access.service import list_keys, revoke_key
    from tally.audit.model import Actor

    monkeypatch.setattr(events_route, "KEY_CACHE_TTL_S", 0.0)
    assert post(client, [event(1)], writer).status_code == 204
    [key] = [k for k in list_keys(tally_app.uow_factory) if k.role == "ingest"]
    revoke_key(tally_app.uow_factory, key.key_id, actor=Actor.cli_user("test"), clock=tally_app.clock)
    assert post(client, [event(2)], writer).status_code == 401


class _Deadlock(Exception):
    sqlstate = "40P01"  # what PostgreSQL answers when it rolled a transaction back to break a deadlock


def test_a_batch_rolled_back_by_a_deadlock_is_retried(client: TestClient, writer: Headers, reader: Headers,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    real = events_route.ingest_body
    attempts: list[int] = []

    def deadlocks_once(*args: Any, **kwargs: Any) -> Any:
        attempts.append(1)
        if len(attempts) == 1:
            raise OperationalError("INSERT INTO events ...", {}, _Deadlock("deadlock detected"))
        return real(*args, **kwargs)

    monkeypatch.setattr(events_route, "ingest_body", deadlocks_once)
    assert post(client, [event(1), event(2)], writer).status_code == 204
    assert len(attempts) == 2
    assert sorted(e["event"]["id"] for e in listed(client, reader)) == ["ev-1", "ev-2"]


def test_a_deadlock_that_persists_is_503(client: TestClient, writer: Headers, monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[int] = []

    def always(*_args: Any, **_kwargs: Any) -> Any:
        attempts.append(1)
        raise OperationalError("INSERT INTO events ...", {}, _Deadlock("deadlock detected"))

    monkeypatch.setattr(events_route, "ingest_body", always)
    response = post(client, [event(1)], writer)
    assert response.status_code == 503 and "retry-after" in response.headers
    assert len(attempts) == events_route.INGEST_ATTEMPTS


def test_openapi_documents_the_three_media_types_and_answers(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/events"]["post"]
    assert set(operation["requestBody"]["content"]) == {CE, BATCH, JSON}
    assert {"202", "204", "400", "503"} <= set(operation["responses"])
