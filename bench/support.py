"""What the benchmarks share: a throwaway migrated database, and rollups written straight into the table.

Not a benchmark itself. Imported as `support` (the benchmarks run as `python bench/<name>.py`, which puts
this folder first on the import path).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Iterator
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
    version 1, value `value_of(series index, hour)` — what ingest would leave, without the events. Returns
    the rows written. `big_cache`: a 256 MB SQLite page cache while writing (faster, but it stays in the
    process's peak RSS)."""
    sqlite = engine.dialect.name == "sqlite"
    windows = [month_start + timedelta(hours=h) for h in range(720)]
    stamps: list[Any] = [canonical_time(w) if sqlite else w for w in windows]

    def rows() -> Iterator[tuple[Any, ...]]:
        written = 0
        for index, (customer, subject, slug, groups) in enumerate(series):
            for h in range(720):
                value: Any = value_of(index, h)
                if sqlite:
                    value = str(value)
                written += 1
                yield (key_hash((slug, 1, customer, subject, windows[h], groups)), slug, 1, customer, subject,
                       stamps[h], groups, events_per_row, value, value, value, value, stamps[h], written)

    written = 0
    with engine.begin() as connection:
        if not sqlite:  # COPY: a month for 10,000 customers is tens of millions of rows
            with connection.connection.cursor() as cursor, cursor.copy(  # type: ignore[attr-defined]
                    f"COPY meter_rollups ({', '.join(ROLLUP_COLUMNS)}) FROM STDIN") as copy:
                for row in rows():
                    copy.write_row(row)
                    written += 1
            return written
        if big_cache:
            connection.exec_driver_sql("PRAGMA cache_size = -262144")
        sql = (f"INSERT INTO meter_rollups ({', '.join(ROLLUP_COLUMNS)}) "
               f"VALUES ({', '.join(['?'] * len(ROLLUP_COLUMNS))})")
        buffer: list[tuple[Any, ...]] = []
        for row in rows():
            buffer.append(row)
            written += 1
            if len(buffer) >= 50_000:
                connection.exec_driver_sql(sql, buffer)
                buffer.clear()
        if buffer:
            connection.exec_driver_sql(sql, buffer)
    return written
