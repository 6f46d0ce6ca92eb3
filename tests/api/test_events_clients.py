"""The official clients, unchanged, against a live server: the OpenMeter Python client and the CloudEvents SDK.

A real uvicorn serves the app on a free port in a thread (the clients speak real HTTP over a socket),
against the test database of each backend. Whatever the clients send is then listed by GET /api/v1/events.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import uvicorn
from cloudevents.conversion import to_json, to_structured
from cloudevents.http import CloudEvent
from openmeter import Client
from openmeter.models import Event

from tally.api.app import create_app
from tally.bootstrap import Tally

Headers = dict[str, str]
T0 = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)  # the `clock` fixture's now


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def live_url(tally_app: Tally) -> Iterator[str]:
    """A real HTTP server on a free port, in a thread, serving the app over the test database."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(tally_app), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)


def secret(headers: Headers) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def listed_ids(base_url: str, reader: Headers, **params: str) -> list[str]:
    response = httpx.get(f"{base_url}/api/v1/events", params=params, headers=reader)
    assert response.status_code == 200, response.text
    return [item["event"]["id"] for item in response.json()]


def test_openmeter_client_ingests_and_lists(live_url: str, key_for: Callable[[str], Headers]) -> None:
    writer = Client(endpoint=live_url, token=secret(key_for("ingest")))
    reader = Client(endpoint=live_url, token=secret(key_for("viewer")))

    def om_event(i: int) -> Event:
        return Event(id=f"om-{i}", source="openmeter-client", specversion="1.0", type="api.request",
                     subject="customer-1", time=T0 - timedelta(minutes=10 + i),
                     data={"tokens": i * 10, "model": "small"})

    writer.events.ingest_event(om_event(0))                         # application/cloudevents+json
    writer.events.ingest_events([om_event(1), om_event(2)])         # application/cloudevents-batch+json
    writer.events.ingest_events_json([om_event(3), om_event(4)])    # application/json, an array
    writer.events.ingest_events_json(om_event(5))                   # application/json, one event
    writer.events.ingest_events([om_event(1), om_event(2)])         # a retry: acknowledged, stored once

    listed = reader.events.list(subject="customer-1", limit=100)
    assert sorted(item.event.id for item in listed) == [f"om-{i}" for i in range(6)]
    first = next(item for item in listed if item.event.id == "om-3")
    assert first.event.type == "api.request" and first.event.source == "openmeter-client"
    assert first.event.time == T0 - timedelta(minutes=13)
    assert first.event.data == {"tokens": 30, "model": "small"}
    assert first.ingested_at == T0 and first.stored_at == T0
    since = reader.events.list(from_parameter=T0 - timedelta(minutes=12), to=T0, limit=100)
    assert {item.event.id for item in since} >= {"om-0", "om-1"}
    assert "om-5" not in {item.event.id for item in since}


def test_cloudevents_sdk_structured_and_batch(live_url: str, key_for: Callable[[str], Headers]) -> None:
    writer, reader = key_for("ingest"), key_for("viewer")

    def sdk_event(i: int) -> CloudEvent:
        attributes = {"id": f"ce-{i}", "source": "cloudevents-sdk", "type": "storage.used",
                      "subject": "deployment-9", "time": (T0 - timedelta(hours=1, seconds=i)).isoformat()}
        return CloudEvent(attributes, {"gb": "1.25", "region": "eu-west"})

    headers, body = to_structured(sdk_event(0))                    # one event, structured mode
    assert headers["content-type"] == "application/cloudevents+json"
    one = httpx.post(f"{live_url}/api/v1/events", content=body, headers={**headers, **writer})
    assert one.status_code == 204, one.text

    batch = b"[" + b",".join(to_json(sdk_event(i)) for i in range(1, 6)) + b"]"
    sent = httpx.post(f"{live_url}/api/v1/events", content=batch,
                      headers={"content-type": "application/cloudevents-batch+json", **writer})
    assert sent.status_code == 204, sent.text
    again = httpx.post(f"{live_url}/api/v1/events", content=batch,
                       headers={"content-type": "application/cloudevents-batch+json", **writer})
    assert again.status_code == 204

    assert sorted(listed_ids(live_url, reader, subject="deployment-9")) == [f"ce-{i}" for i in range(6)]
    assert len(listed_ids(live_url, reader, type="storage.used", limit="2")) == 2
    assert listed_ids(live_url, reader, type="api.request") == []


def test_a_slow_batch_does_not_block_the_event_loop(live_url: str, key_for: Callable[[str], Headers],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from tally.api.routes import events as events_route

    entered, release = threading.Event(), threading.Event()
    real = events_route.ingest_body

    def slow(*args: object, **kwargs: object) -> object:
        entered.set()
        release.wait(timeout=30)
        return real(*args, **kwargs)

    monkeypatch.setattr(events_route, "ingest_body", slow)
    writer = key_for("ingest")
    body = to_json(CloudEvent({"id": "slow-1", "source": "s", "type": "t", "subject": "x",
                               "time": (T0 - timedelta(minutes=1)).isoformat()}, {"n": 1}))
    answers: list[int] = []
    sender = threading.Thread(target=lambda: answers.append(httpx.post(
        f"{live_url}/api/v1/events", content=body,
        headers={"content-type": "application/cloudevents+json", **writer}, timeout=30).status_code))
    sender.start()
    try:
        assert entered.wait(timeout=10)
        started = time.monotonic()
        assert httpx.get(f"{live_url}/healthz", timeout=5).status_code == 200  # served while the batch runs
        assert time.monotonic() - started < 2
    finally:
        release.set()
        sender.join(timeout=30)
    assert answers == [204]
