"""The unit of work: one connection, one transaction. Only the unit of work commits.

A service opens it, loads, calls the pure core, writes through the stage stores, records the
audit trail, and commits. Leaving the block without `commit()` rolls everything back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from tally.audit.store import AuditTrail
from tally.errors import Unavailable


class UnitOfWork:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None
        self._committed = False

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("unit of work used outside its `with` block")
        return self._connection

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def audit(self) -> AuditTrail:
        return AuditTrail(self.connection)

    def __enter__(self) -> UnitOfWork:
        try:
            self._connection = self.engine.connect()
            self._connection.begin()
        except (OperationalError, DBAPIError) as exc:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            raise Unavailable(f"database unavailable: {exc.orig or exc}") from exc
        self._committed = False
        return self

    @contextmanager
    def planned_for_actual_values(self) -> Iterator[None]:
        """PostgreSQL: inside the block, plan each statement for its actual parameters, never from a cached
        generic plan. psycopg prepares a statement after five executions; PostgreSQL may then switch to a
        generic plan, which cannot hash an IN list and trusts statistics that know nothing of a period that
        has just begun: a billing batch's invoice lookup went from 2 ms to 150 ms that way. Only around
        reads: an executemany of inserts would be planned once per row. SQLite: nothing to do."""
        if self.dialect != "postgresql":
            yield
            return
        self.connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
        yield  # if the block raises, the transaction ends and the setting with it
        self.connection.exec_driver_sql("SET LOCAL plan_cache_mode TO DEFAULT")

    def commit(self) -> None:
        self.connection.commit()
        self._committed = True

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        connection = self._connection
        self._connection = None
        if connection is None:
            return
        try:
            if connection.in_transaction():
                connection.rollback()
        finally:
            connection.close()


class UnitOfWorkFactory:
    """Makes a fresh unit of work per use case; the only thing services are handed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.engine)
