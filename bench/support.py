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
                               series: Sequence[tuple[str, str]]) -> int:
    """`write_hourly_rollups` for tens of millions of rows, generated inside PostgreSQL: for customer i and
    series j (meter slug, group key; subject `<customer>-dep`), hour h of the month has value
    ((i × len(series) + j + h) mod 23 + 1) / 4 — the same values billing_real.py gives `write_hourly_rollups`
    — and the daily rollups are those hours merged per day. Row keys are md5 text (unique; the bench never
    ingests on top of them, so they need not be the code's blake2b key hash). Returns hourly rows written."""
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TEMP TABLE bench_customers (i int, customer_id text) ON COMMIT DROP")
        connection.exec_driver_sql("INSERT INTO bench_customers VALUES (%s, %s)", list(enumerate(customers)))
        connection.exec_driver_sql("CREATE TEMP TABLE bench_series (j int, slug text, groups text) ON COMMIT DROP")
        connection.exec_driver_sql("INSERT INTO bench_series VALUES (%s, %s, %s)",
                                   [(j, slug, groups) for j, (slug, groups) in enumerate(series)])
        written = connection.exec_driver_sql(
            f"INSERT INTO meter_rollups ({', '.join(ROLLUP_COLUMNS)}) "
            "SELECT md5(c.customer_id || s.slug || s.groups || h::text), s.slug, 1, c.customer_id, "
            "c.customer_id || '-dep', w, s.groups, 1, v, v, v, v, w, "
            "row_number() OVER () "
            "FROM bench_customers c CROSS JOIN bench_series s CROSS JOIN generate_series(0, 719) h "
            "CROSS JOIN LATERAL (SELECT %s::timestamptz + h * interval '1 hour' AS w, "
            "(((c.i * %s + s.j + h) %% 23) + 1) * 0.25 AS v) x", (month_start, len(series))).rowcount
        connection.exec_driver_sql(
            f"INSERT INTO meter_daily_rollups ({', '.join(ROLLUP_COLUMNS)}) "
            "SELECT md5(customer_id || meter_slug || group_key || d::text), meter_slug, 1, customer_id, subject, d, "
            "group_key, SUM(event_count), SUM(value_sum), MIN(value_min), MAX(value_max), "
            "(array_agg(latest_value ORDER BY window_start DESC))[1], MAX(latest_time), MAX(latest_seq) "
            "FROM (SELECT *, date_trunc('day', window_start AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS d "
            "FROM meter_rollups) r GROUP BY customer_id, meter_slug, subject, group_key, d")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE meter_rollups")
        connection.exec_driver_sql("VACUUM ANALYZE meter_daily_rollups")
    return int(written or 0)
