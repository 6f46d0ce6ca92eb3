"""Alembic environment: the URL comes from the caller (tally db upgrade), never from a file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from tally.store.schema import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("migrations run through tally.store.migrate, which passes a connection")
_run(connection)
