"""Shared fixtures: every storage test runs on SQLite and on the real PostgreSQL server.

PostgreSQL is never mocked and never skipped: if it is unreachable, the tests that need it error.
Each test session (each xdist worker) creates its own throwaway database and drops it after.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from tally.bootstrap import Tally
from tally.clock import FixedClock
from tally.settings import Settings
from tally.store.engine import build_engine
from tally.store.migrate import upgrade
from tally.store.schema import metadata
from tally.store.uow import UnitOfWorkFactory

# Property tests: no deadlines on shared cores. CI replays a fixed set of examples (derandomized) so a
# clean clone's verdict does not depend on luck; `make test` on a laptop explores new examples each run.
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True)
hypothesis_settings.load_profile(os.environ.get("TALLY_HYPOTHESIS_PROFILE", "dev"))

PG_SERVER_URL = os.environ.get("TALLY_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
T0 = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


@dataclass
class TestDatabase:
    """A migrated, empty database of one backend, and the URL to reach it."""

    __test__ = False
    backend: str
    url: str
    engine: Engine
    uow_factory: UnitOfWorkFactory


def _admin_engine() -> Engine:
    return create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    name = f"tally_test_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_SERVER_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = build_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "tally.db"
    engine = build_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestDatabase]:
    if request.param == "sqlite":
        path = tmp_path / "tally.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
        engine = build_engine(url)
    else:
        url = request.getfixturevalue("postgres_url")
        engine = build_engine(url)
        _truncate_all(engine)
    yield TestDatabase(request.param, url, engine, UnitOfWorkFactory(engine))
    engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def tally_app(db: TestDatabase, clock: FixedClock, tmp_path: Path) -> Tally:
    settings = Settings(home=tmp_path / "home", database_url=db.url)
    return Tally(settings=settings, engine=db.engine, uow_factory=db.uow_factory, clock=clock)


@pytest.fixture
def cli_env(db: TestDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the CLI at the test database; returns TALLY_HOME."""
    from tally.cli import context

    home = tmp_path / "home"
    monkeypatch.setenv("TALLY_HOME", str(home))
    monkeypatch.setenv("TALLY_DATABASE_URL", db.url)
    monkeypatch.setenv("TALLY_ACTOR", "tester")
    context.reset()
    yield home
    context.reset()
