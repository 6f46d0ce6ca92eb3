"""Migrations build exactly the schema the code declares, on both backends."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tally.store.migrate import current_revision, head_revision
from tally.store.schema import metadata
from tests.conftest import TestDatabase


def test_database_is_at_head(db: TestDatabase) -> None:
    assert current_revision(db.engine) == head_revision()


def test_migrations_match_declared_tables(db: TestDatabase) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = compare_metadata(context, metadata)
    assert diff == []
