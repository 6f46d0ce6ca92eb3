"""What the benchmarks share: a throwaway migrated database, and rollups written straight into the tables.

Not a benchmark itself. Imported as `support` (the benchmarks run as `python bench/<name>.py`, which puts
this folder first on the import path).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from tally.metering.rollup import canonical_time, key_hash
from tally.store.engine import build_engine
from tally.store.migrate import upgrade

PG_SERVER = os.environ.get("TALLY_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ROLLUP_COLUMNS = ("rollup_key", "meter_slug", "meter_version", "customer_id", "subject", "window_start",
                  "group_key", "event_count", "value_sum", "value_min", "value_max", "latest_value", "latest_time",
                  "latest_seq")


def throwaway_database(backend: str, workdir: Path, name: str) -> tuple[Engine, str, Callable[[], None]]:
    """A migrated empty database (a SQLite file in `workdir`, or a new PostgreSQL database), its URL, and
    the function that disposes of it (dropping the PostgreSQL database)."""
    if backend == "sqlite":
        url = f"sqlite:///{workdir / name}.db"
        engine = build_engine(url)
        upgrade(engine)
        return engine, url, engine.dispose
    db = f"tally_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{db}"'))
    url = PG_SERVER.rsplit("/", 1)[0] + f"/{db}"
    engine = build_engine(url)
    upgrade(engine)

    def drop() -> None:
        engine.dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()

    return engine, url, drop


def write_hourly_rollups(engine: Engine, *, month_start: datetime, series: Iterable[tuple[str, str, str, str]],
                         value_of: Callable[[int, int], Decimal], events_per_row: int = 1,
                         big_cache: bool = False) -> int:
    """A month (720 hours) of rollups for each (customer, subject, meter slug, group key) of `series`, meter
    version 1, value `value_of(series index, hour)`, and the daily rollups of those hours — what ingest
    would leave, without the events. Returns the hourly rows written. `big_cache`: a 256 MB SQLite page
    cache while writing (faster, but it stays in the process's peak RSS)."""
    sqlite = engine.dialect.name == "sqlite"
    windows = [month_start + timedelta(hours=h) for h in range(720)]
    stamps: list[Any] = [canonical_time(w) if sqlite else w for w in windows]
    days: list[tuple[Any, ...]] = []

    def rows() -> Iterator[tuple[Any, ...]]:
        written = 0
        for index, (customer, subject, slug, groups) in enumerate(series):
            for day in range(30):
                values = [value_of(index, h) for h in range(day * 24, day * 24 + 24)]
                for offset, value in enumerate(values):
                    h = day * 24 + offset
                    written += 1
                    text_or_value: Any = str(value) if sqlite else value
                    yield (key_hash((slug, 1, customer, subject, windows[h], groups)), slug, 1, customer, subject,
                           stamps[h], groups, events_per_row, text_or_value, text_or_value, text_or_value,
                           text_or_value, stamps[h], written)
                low, high, total = min(values), max(values), sum(values, Decimal(0))
                day_window = windows[day * 24]
                days.append((key_hash((slug, 1, customer, subject, day_window, groups)), slug, 1, customer, subject,
                             stamps[day * 24], groups, 24 * events_per_row,
                             *((str(v) if sqlite else v) for v in (total, low, high, values[-1])),
                             stamps[day * 24 + 23], written))

    with engine.begin() as connection:
        if not sqlite:
            written = _copy(connection, "meter_rollups", rows())
            _copy(connection, "meter_daily_rollups", iter(days))
            return written
        if big_cache:
            connection.exec_driver_sql("PRAGMA cache_size = -262144")
        written = 0
        for table, source in (("meter_rollups", rows()), ("meter_daily_rollups", iter(days))):
            sql = (f"INSERT INTO {table} ({', '.join(ROLLUP_COLUMNS)}) "
                   f"VALUES ({', '.join(['?'] * len(ROLLUP_COLUMNS))})")
            buffer: list[tuple[Any, ...]] = []
            for row in source:
                buffer.append(row)
                written += table == "meter_rollups"
                if len(buffer) >= 50_000:
                    connection.exec_driver_sql(sql, buffer)
                    buffer.clear()
            if buffer:
                connection.exec_driver_sql(sql, buffer)
    return written


def _copy(connection: Any, table: str, rows: Iterator[tuple[Any, ...]]) -> int:
    written = 0
    with connection.connection.cursor() as cursor, cursor.copy(
            f"COPY {table} ({', '.join(ROLLUP_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            written += 1
    return written


def generate_month_in_postgres(engine: Engine, *, month_start: datetime, customers: Sequence[str],
                               series: Sequence[tuple[str, str]], chunk: int = 500,
                               progress: Callable[[int], None] | None = None) -> int:
    """`write_hourly_rollups` for tens of millions of rows, generated inside PostgreSQL: for customer i and
    series j (meter slug, group key; subject `<customer>-dep`), hour h of the month has value
    ((i × len(series) + j + h) mod 23 + 1) / 4 — the same values billing_real.py gives `write_hourly_rollups`
    — and each day's rollup is those 24 hours merged (count 24, sum, min, max, the last hour's value).

    Row keys and sequence numbers are the row's position n = (i × len(series) + j) × 720 + h, as 32 hex
    digits: unique, and ascending in insertion order, so both indexes are filled at their right edge instead
    of at random (md5 keys made a 50M-row month take over an hour). The bench never ingests on top of these
    rows, so the keys need not be the code's blake2b key hash. One statement per `chunk` customers, each in
    its own transaction; `progress(customers done)` after each. Returns the hourly rows written."""
    written = 0
    width = len(series)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE bench_series (j int, slug text, groups text)")
        connection.exec_driver_sql("INSERT INTO bench_series VALUES (%s, %s, %s)",
                                   [(j, slug, groups) for j, (slug, groups) in enumerate(series)])
    try:
        for first in range(0, len(customers), chunk):
            batch = [(first + k, c) for k, c in enumerate(customers[first:first + chunk])]
            with engine.begin() as connection:
                connection.exec_driver_sql("CREATE TEMP TABLE bench_customers (i int, customer_id text) "
                                           "ON COMMIT DROP")
                connection.exec_driver_sql("INSERT INTO bench_customers VALUES (%s, %s)", batch)
                written += connection.exec_driver_sql(
                    f"INSERT INTO meter_rollups ({', '.join(ROLLUP_COLUMNS)}) "
                    "SELECT lpad(to_hex(n), 32, '0'), s.slug, 1, c.customer_id, c.customer_id || '-dep', w, "
                    "s.groups, 1, v, v, v, v, w, n "
                    "FROM bench_customers c CROSS JOIN bench_series s CROSS JOIN generate_series(0, 719) h, "
                    "LATERAL (SELECT ((c.i::bigint * %(width)s + s.j) * 720 + h) AS n, "
                    "%(start)s::timestamptz + h * interval '1 hour' AS w, "
                    "(((c.i * %(width)s + s.j + h) %% 23) + 1) * 0.25 AS v) x "
                    "ORDER BY c.i, s.j, h", {"width": width, "start": month_start}).rowcount or 0
                connection.exec_driver_sql(
                    f"INSERT INTO meter_daily_rollups ({', '.join(ROLLUP_COLUMNS)}) "
                    "SELECT lpad(to_hex(n / 24), 32, '0'), s.slug, 1, c.customer_id, c.customer_id || '-dep', "
                    "%(start)s::timestamptz + d * interval '1 day', s.groups, 24, a.total, a.low, a.high, a.last, "
                    "%(start)s::timestamptz + (d * 24 + 23) * interval '1 hour', n + 23 "
                    "FROM bench_customers c CROSS JOIN bench_series s CROSS JOIN generate_series(0, 29) d, "
                    "LATERAL (SELECT ((c.i::bigint * %(width)s + s.j) * 720 + d * 24) AS n) k, "
                    "LATERAL (SELECT SUM(v) AS total, MIN(v) AS low, MAX(v) AS high, "
                    "(array_agg(v ORDER BY h DESC))[1] AS last "
                    "FROM generate_series(d * 24, d * 24 + 23) h, "
                    "LATERAL (SELECT (((c.i * %(width)s + s.j + h) %% 23) + 1) * 0.25 AS v) y) a "
                    "ORDER BY c.i, s.j, d", {"width": width, "start": month_start})
            if progress is not None:
                progress(first + len(batch))
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE bench_series")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE meter_rollups")
        connection.exec_driver_sql("VACUUM ANALYZE meter_daily_rollups")
    return written
