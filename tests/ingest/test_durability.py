"""Durability and exactly-once through a real `tally serve` process, on SQLite and PostgreSQL.

- SIGKILL the server in the middle of a stream of batches: every acknowledged event is stored, and
  re-sending everything afterwards yields exactly the original set (nothing missing, nothing twice).
- Two clients sending the same events at the same moment store each event once.
- A database that cannot be reached is a 503 with Retry-After, never a 2xx.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

import tally
from tally.access.service import create_key
from tally.audit.model import Actor
from tally.clock import SystemClock
from tally.store.schema.ingest import events
from tests.conftest import TestDatabase

BATCH = "application/cloudevents-batch+json"
SRC_DIR = Path(tally.__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """`python -m tally.cli.main serve` in its own process, pointed at one database."""

    def __init__(self, database_url: str, home: Path, *, workers: int = 1) -> None:
        self.database_url, self.home, self.workers = database_url, home, workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, wait_ready: bool = True) -> Server:
        env = {**os.environ, "TALLY_DATABASE_URL": self.database_url, "TALLY_HOME": str(self.home),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC_DIR), os.environ.get("PYTHONPATH")]))}
        log = (self.home / f"server-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tally.cli.main", "serve", "--port", str(self.port), "--workers", str(self.workers)],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # its own process group
        log.close()
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"tally serve exited with {self.process.returncode}: {self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"tally serve did not answer /healthz: {self.log()}")
            time.sleep(0.05)
        return self

    def log(self) -> str:
        return (self.home / f"server-{self.port}.log").read_text(errors="replace")[-3000:]

    def kill(self) -> None:
        """SIGKILL the server and its worker processes (its own group): no shutdown handler, no flush."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):  # already gone, with every process of its group
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.kill()


def ingest_key(db: TestDatabase) -> dict[str, str]:
    created = create_key(db.uow_factory, role="ingest", name="durability", actor=Actor.cli_user("test"),
                         clock=SystemClock())
    return {"Authorization": f"Bearer {created.secret}", "Content-Type": BATCH}


def make_batches(prefix: str, batches: int, size: int) -> list[tuple[list[str], bytes]]:
    """Each batch as (its event ids, its JSON body); times are recent so the server's clock accepts them."""
    base = datetime.now(UTC) - timedelta(minutes=30)
    out = []
    for b in range(batches):
        ids = [f"{prefix}-{b}-{i}" for i in range(size)]
        body = [{"specversion": "1.0", "id": event_id, "source": "durability", "type": "api.request",
                 "subject": f"dep-{i % 7}", "time": (base + timedelta(milliseconds=i)).isoformat(),
                 "data": {"requests": i + 1, "region": "eu"}} for i, event_id in enumerate(ids)]
        out.append((ids, json.dumps(body).encode()))
    return out


def stored_ids(db: TestDatabase) -> list[str]:
    with db.engine.connect() as connection:
        return list(connection.execute(select(events.c.event_id).where(events.c.event_source == "durability"))
                    .scalars())


@pytest.mark.slow
def test_sigkill_mid_stream_loses_no_acknowledged_event_and_resend_is_exact(
        db: TestDatabase, tmp_path: Path, servers: list[Server]) -> None:
    headers = ingest_key(db)
    batches = make_batches("k", batches=60, size=200)
    server = Server(db.url, tmp_path).start()
    servers.append(server)
    acknowledged: list[str] = []
    failures: list[str] = []

    def stream() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for ids, body in batches:
                try:
                    response = client.post("/api/v1/events", content=body, headers=headers)
                except httpx.TransportError:
                    return  # the server died under this request: not acknowledged
                if response.status_code != 204:
                    failures.append(f"{response.status_code} {response.text[:300]}")
                    return
                acknowledged.extend(ids)

    producer = threading.Thread(target=stream)
    producer.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 10 * 200 and producer.is_alive() and time.monotonic() < deadline:
        time.sleep(0.001)
    server.kill()  # mid-stream: the producer is sending the next batch
    producer.join(timeout=60)
    assert not failures, failures
    assert 10 * 200 <= len(acknowledged) < 60 * 200, "the kill must land in the middle of the stream"

    after_crash = set(stored_ids(db))
    assert set(acknowledged) <= after_crash, "an acknowledged event was lost"

    restarted = Server(db.url, tmp_path).start()
    servers.append(restarted)
    with httpx.Client(base_url=restarted.url, timeout=60) as client:
        for _ids, body in batches:
            response = client.post("/api/v1/events", content=body, headers=headers)
            assert response.status_code == 204, response.text
    everything = [event_id for ids, _body in batches for event_id in ids]
    final = stored_ids(db)
    assert len(final) == len(everything), "an event was stored twice or is missing"
    assert set(final) == set(everything)


@pytest.mark.slow
def test_two_clients_sending_the_same_events_at_once_store_each_once(
        db: TestDatabase, tmp_path: Path, servers: list[Server]) -> None:
    """The second client sends the same events in another order and cut into other batches, so the
    two writers meet the same keys in different orders (what makes a naive insert deadlock)."""
    headers = ingest_key(db)
    batches = make_batches("c", batches=20, size=250)
    every_event = [e for _ids, body in batches for e in json.loads(body)]
    rng = random.Random(3)
    shuffled = rng.sample(every_event, len(every_event))
    other = [json.dumps(shuffled[i:i + 400]).encode() for i in range(0, len(shuffled), 400)]
    server = Server(db.url, tmp_path, workers=2).start()
    servers.append(server)
    statuses: list[int] = []
    start = threading.Barrier(2)

    def send(bodies: list[bytes]) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            start.wait()
            for body in bodies:
                statuses.append(client.post("/api/v1/events", content=body, headers=headers).status_code)

    clients = [threading.Thread(target=send, args=([body for _ids, body in batches],)),
               threading.Thread(target=send, args=(other,))]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join(timeout=120)
    assert statuses == [204] * (len(batches) + len(other)), server.log()
    final = stored_ids(db)
    assert len(final) == len(set(final)) == 20 * 250
    with db.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(events)).scalar_one() == 20 * 250


@pytest.mark.slow
def test_an_unreachable_database_is_503_with_retry_after(tmp_path: Path, servers: list[Server]) -> None:
    nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/tally_nowhere"
    server = Server(nowhere, tmp_path).start()
    servers.append(server)
    body = make_batches("u", batches=1, size=3)[0][1]
    headers = {"Authorization": "Bearer tly_0123456789abcdef_secret", "Content-Type": BATCH}
    response = httpx.post(f"{server.url}/api/v1/events", content=body, headers=headers, timeout=30)
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    assert response.headers["content-type"].startswith("application/problem+json")
    listing = httpx.get(f"{server.url}/api/v1/events", headers=headers, timeout=30)
    assert listing.status_code == 503 and "retry-after" in listing.headers
