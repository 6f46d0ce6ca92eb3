"""The one schema, split by stage: each stage's tables live in their own module here.

`metadata` holds every table; Alembic migrations in `store/migrations/versions/` create them.
"""

from tally.store.schema import catalog, foundation, ingest, invoicing, ledger, metering  # noqa: F401
from tally.store.schema.base import metadata

__all__ = ["metadata"]
