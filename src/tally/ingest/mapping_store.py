"""Reads subject mappings. Never commits."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select

from tally.ingest.attribution import SubjectMapping
from tally.store.schema.ingest import subject_mappings


def load_mappings(connection: Connection, subjects: Iterable[str] | None = None) -> tuple[SubjectMapping, ...]:
    """All mappings, or those of `subjects` only."""
    query = select(subject_mappings).order_by(subject_mappings.c.seq)
    if subjects is not None:
        wanted = sorted(set(subjects))
        if not wanted:
            return ()
        query = query.where(subject_mappings.c.subject.in_(wanted))
    return tuple(
        SubjectMapping(subject=r.subject, customer_id=r.customer_id, effective_from=r.effective_from,
                       effective_to=r.effective_to)
        for r in connection.execute(query)
    )
