"""Benchmark: events/s of file import and HTTP batch ingest, against the backend's raw bulk insert.

One NDJSON stream of N CloudEvents (10 % of them re-sent duplicates, some inside a batch, most
across batches) is ingested, each time into a fresh database:

- file:  `tally.ingest.service.ingest_file` on the NDJSON file, in process;
- http:  `tally serve` in one process, a client process beside it posting batches of 1,000 or
         10,000 events (`application/cloudevents-batch+json`, pre-encoded, over keep-alive connections);
- raw:   the same rows Tally stored, bulk-inserted into an equivalent table (same columns, same unique
         key, same indexes) in one transaction: `executemany(INSERT OR IGNORE)` on SQLite; on
         PostgreSQL `COPY` of the distinct rows (the duplicates removed for free, beforehand).

Throughput is always input events / wall seconds, so the ratio "of raw" compares the time to get
the same stream into the same table. Each measurement runs in its own process.

    PYTHONPATH=src python bench/ingest.py                          # 200,000 events, both backends
    PYTHONPATH=src python bench/ingest.py --events 50000 --backend postgres
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Index, MetaData, Table, UniqueConstraint, create_engine, text
from sqlalchemy.pool import NullPool

PG_SERVER = os.environ.get("TALLY_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
HERE = Path(__file__).resolve()
SRC = HERE.parents[1] / "src"
DUPLICATE_SHARE = 10  # every 10th event re-sends an earlier one
TYPES = ("compute.instance.usage", "network.egress", "storage.snapshot", "ingest.bytes", "search.requests")
RAW_TABLE = "bench_raw_events"


# ---------------------------------------------------------------- data

def generate(path: Path, n: int, *, seed: int = 7) -> int:
    """Write n NDJSON CloudEvents, 10 % of them exact re-sends of an earlier line; return the distinct count."""
    rng = random.Random(seed)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=20)
    lines: list[str] = []
    distinct = 0
    for i in range(n):
        if i % DUPLICATE_SHARE == DUPLICATE_SHARE - 1 and lines:
            # mostly from an earlier batch, sometimes from the same one
            lines.append(lines[max(0, len(lines) - 1 - rng.randrange(min(len(lines), 30_000)))])
            continue
        distinct += 1
        event_type = TYPES[i % len(TYPES)]
        at = start + timedelta(seconds=i * 7 % 1_700_000)
        value = f"{rng.randrange(1, 10_000)}.{rng.randrange(0, 1000):03d}"
        lines.append(
            f'{{"specversion":"1.0","id":"evt-{i:09d}","source":"bench/region-{i % 4}","type":"{event_type}",'
            f'"subject":"deployment-{rng.randrange(2_000):05d}","time":"{at.isoformat().replace("+00:00", "Z")}",'
            f'"data":{{"value":{value},"region":"eu-{i % 4}","size":"m{i % 6}.large"}}}}')
    path.write_text("\n".join(lines) + "\n")
    return distinct


# ---------------------------------------------------------------- databases

@contextmanager
def fresh_database(backend: str) -> Iterator[str]:
    """A migrated, empty database of one backend, dropped afterwards."""
    from tally.store.engine import build_engine
    from tally.store.migrate import upgrade

    admin = None
    name = f"tally_bench_{uuid.uuid4().hex[:10]}"
    if backend == "postgres":
        admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_SERVER.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    engine = build_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        if admin is not None:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def _settings(url: str) -> Any:
    from tally.settings import Settings

    return Settings.from_env({"TALLY_DATABASE_URL": url, "TALLY_HOME": tempfile.mkdtemp()})


def _count_events(url: str) -> int:
    from tally.store.engine import build_engine

    engine = build_engine(url)
    with engine.connect() as c:
        count: int = c.execute(text("SELECT count(*) FROM events")).scalar_one()
    engine.dispose()
    return count


# ---------------------------------------------------------------- one measurement per process

def run_file(backend: str, data: Path, profile: Path | None) -> dict[str, Any]:
    from tally.audit.model import Actor
    from tally.bootstrap import bootstrap
    from tally.ingest.service import ingest_file

    with fresh_database(backend) as url:
        tally = bootstrap(_settings(url))
        profiler = _profiler(profile)
        started = time.perf_counter()
        report = ingest_file(tally.uow_factory, data, fmt="ndjson", hooks=tally.ingest_hooks, settings=tally.settings,
                             clock=tally.clock, actor=Actor.system("bench"), progress=None, batch_size=10_000)
        seconds = time.perf_counter() - started
        _dump(profiler, profile)
        tally.engine.dispose()
        raw = run_raw(url, backend, data)
        return {"file": {"seconds": seconds, "accepted": report.accepted, "duplicates": report.duplicates,
                         "rejected": len(report.rejected), "stored": _count_events(url)}, "raw": raw}


def run_raw(url: str, backend: str, data: Path) -> dict[str, Any]:
    """Bulk-insert the rows Tally stored, in input order with the same duplicates, into an equivalent table."""
    from tally.store.engine import build_engine
    from tally.store.schema import metadata
    from tally.store.schema.ingest import events

    engine = build_engine(url)
    clone_metadata = MetaData(naming_convention=metadata.naming_convention)
    Table(RAW_TABLE, clone_metadata, *(c._copy() for c in events.columns),
          *(UniqueConstraint(*[c.name for c in u.columns]) for u in events.constraints
            if isinstance(u, UniqueConstraint)),
          *(Index(None, *[c.name for c in i.columns], unique=i.unique) for i in events.indexes))
    clone_metadata.create_all(engine)
    columns = [c.name for c in events.columns if c.name != "seq"]
    column_list = ", ".join(columns)
    raw_connection = engine.raw_connection()
    try:
        cursor = raw_connection.cursor()
        cursor.execute(f"SELECT event_source, event_id, {column_list} FROM events")
        by_key = {(r[0], r[1]): tuple(r[2:]) for r in cursor.fetchall()}
        keys = [(e["source"], e["id"]) for e in map(json.loads, data.read_text().splitlines())]
        rows = [by_key[k] for k in keys]
        distinct = list({k: by_key[k] for k in keys}.values())
        if backend == "sqlite":
            raw_connection.commit()
            started = time.perf_counter()
            cursor.execute("BEGIN")
            cursor.executemany(f"INSERT OR IGNORE INTO {RAW_TABLE} ({column_list}) "
                               f"VALUES ({', '.join('?' for _ in columns)})", rows)
            raw_connection.commit()
            method = "executemany INSERT OR IGNORE"
        else:
            raw_connection.commit()
            started = time.perf_counter()
            with cursor.copy(f"COPY {RAW_TABLE} ({column_list}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in distinct:
                    copy.write_row(row)
            raw_connection.commit()
            method = "COPY of the distinct rows"
        seconds = time.perf_counter() - started
        cursor.execute(f"SELECT count(*) FROM {RAW_TABLE}")
        stored = cursor.fetchone()[0]
    finally:
        raw_connection.close()
        engine.dispose()
    return {"seconds": seconds, "stored": stored, "method": method, "rows": len(rows)}


def run_http(backend: str, data: Path, batch: int, connections: int) -> dict[str, Any]:
    from tally.access.service import create_key
    from tally.audit.model import Actor
    from tally.clock import SystemClock
    from tally.store.engine import build_engine
    from tally.store.uow import UnitOfWorkFactory

    with fresh_database(backend) as url:
        engine = build_engine(url)
        key = create_key(UnitOfWorkFactory(engine), role="ingest", name="bench", actor=Actor.system("bench"),
                         clock=SystemClock()).secret
        engine.dispose()
        port = _free_port()
        home = Path(tempfile.mkdtemp())
        env = {**os.environ, "TALLY_DATABASE_URL": url, "TALLY_HOME": str(home),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))}
        server = subprocess.Popen([sys.executable, "-m", "tally.cli.main", "serve", "--port", str(port)], env=env,
                                  start_new_session=True)
        try:
            _wait_healthy(f"http://127.0.0.1:{port}", server)
            out = subprocess.run([sys.executable, str(HERE), "--client", f"http://127.0.0.1:{port}", "--key", key,
                                  "--batch", str(batch), "--connections", str(connections), "--data", str(data)],
                                 env=env, capture_output=True, text=True)
            if out.returncode != 0:
                raise RuntimeError(f"bench client failed: {out.stderr[-4000:]}")
            in_route_s = _metric_sum(f"http://127.0.0.1:{port}/metrics", "tally_ingest_request_duration_seconds_sum")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        result["stored"] = _count_events(url)
        result["in_route_s"] = in_route_s
        return result


def _metric_sum(url: str, name: str) -> float:  # float-ok: seconds
    """Sum over every label set of one Prometheus sample, e.g. the seconds spent inside the ingest route."""
    total = 0.0  # float-ok: seconds
    for sample in httpx.get(url, timeout=10).text.splitlines():
        if sample.startswith(name):
            total += float(sample.rsplit(" ", 1)[1])  # float-ok: seconds
    return total


def run_client(base_url: str, key: str, batch: int, connections: int, data: Path) -> dict[str, Any]:
    """Post pre-encoded batches over `connections` keep-alive connections; time first send to last answer."""
    lines = data.read_bytes().splitlines()
    bodies = [b"[" + b",".join(lines[i:i + batch]) + b"]" for i in range(0, len(lines), batch)]
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/cloudevents-batch+json"}
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    queue = iter(bodies)

    def worker() -> None:
        with httpx.Client(base_url=base_url, timeout=300) as client:
            while True:
                with lock:
                    body = next(queue, None)
                if body is None:
                    return
                status = client.post("/api/v1/events", content=body, headers=headers).status_code
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"seconds": time.perf_counter() - started, "requests": len(bodies), "statuses": statuses}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_healthy(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"tally serve exited with {server.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError("tally serve did not become healthy")


def _profiler(path: Path | None) -> Any:
    if path is None:
        return None
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    return profiler


def _dump(profiler: Any, path: Path | None) -> None:
    if profiler is not None and path is not None:
        profiler.disable()
        profiler.dump_stats(str(path))


# ---------------------------------------------------------------- the table

def _in_child(*args: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, str(HERE), *args], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"bench step {' '.join(args)} failed:\n{out.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


class _Line:
    """Prints one row of the table."""

    def __init__(self, *, backend: str, events: int, distinct: int, raw_rate: float) -> None:
        self.backend, self.events, self.distinct, self.raw_rate = backend, events, distinct, raw_rate

    def __call__(self, path: str, seconds: float, stored: int, check: str, *, rate_of_raw: bool = True) -> None:
        rate = self.events / seconds
        ratio = f"{rate / self.raw_rate:.0%}" if rate_of_raw else "—"
        ok = "ok" if stored == self.distinct else f"EXPECTED {self.distinct}"
        print(f"{self.backend:<9} {path:<36} {seconds:>8.2f} {rate:>10,.0f} {ratio:>7}  {stored:>8,}  {ok} {check}",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--batches", type=int, nargs="*", default=[1_000, 10_000], help="HTTP batch sizes")
    parser.add_argument("--connections", type=int, default=2, help="concurrent HTTP connections of the client")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the file import here (one backend)")
    parser.add_argument("--one", choices=["file", "http"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.client:
        print(json.dumps(run_client(args.client, args.key, args.batch, args.connections, args.data)))
        return
    if args.one == "file":
        print(json.dumps(run_file(args.backend, args.data, args.profile)))
        return
    if args.one == "http":
        print(json.dumps(run_http(args.backend, args.data, args.batch, args.connections)))
        return

    workdir = Path(tempfile.mkdtemp(prefix="tally-bench-"))
    data = workdir / "events.ndjson"
    distinct = generate(data, args.events)
    n = args.events
    print(f"ingest bench: {n:,} CloudEvents ({n - distinct:,} re-sent duplicates, {distinct:,} distinct), "
          f"{data.stat().st_size / n:.0f} bytes each; HTTP client: {args.connections} keep-alive connections; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start\n")
    header = f"{'backend':<9} {'path':<36} {'seconds':>8} {'events/s':>10} {'of raw':>7}  {'stored':>8}  check"
    print(header)
    print("-" * len(header))
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        measured = _in_child("--one", "file", "--backend", backend, "--data", str(data),
                             *(["--profile", str(args.profile)] if args.profile else []))
        raw, file = measured["raw"], measured["file"]
        raw_rate = n / raw["seconds"]

        line = _Line(backend=backend, events=n, distinct=distinct, raw_rate=raw_rate)
        line(f"raw {raw['method']}", raw["seconds"], raw["stored"], "", rate_of_raw=False)
        line("file import (ingest_file, NDJSON)", file["seconds"], file["stored"],
             f"accepted={file['accepted']:,} duplicates={file['duplicates']:,} rejected={file['rejected']}")
        for batch in args.batches:
            http = _in_child("--one", "http", "--backend", backend, "--data", str(data), "--batch", str(batch),
                             "--connections", str(args.connections))
            busy = http["in_route_s"] / http["seconds"] / args.connections
            line(f"HTTP batches of {batch:,}", http["seconds"], http["stored"],
                 f"statuses={http['statuses']} in-route {busy:.0%} of each connection's time")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end (other processes on the machine skew every figure)")
    print("targets (2 cores): file import into PostgreSQL ≥ 50,000 events/s and ≥ 60 % of raw; "
          "HTTP batch ingest ≥ 25,000 events/s")
    data.unlink()


if __name__ == "__main__":
    main()
