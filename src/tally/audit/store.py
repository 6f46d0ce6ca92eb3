"""Writes and reads the append-only audit table. Never commits; the unit of work does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from tally.audit.canonical import canonical_json
from tally.audit.model import Actor, AuditRecord
from tally.store.schema.foundation import audit_log


class AuditTrail:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def record(
        self,
        action: str,
        *,
        actor: Actor,
        subject_type: str,
        subject_id: str,
        at: datetime,
        before: Any = None,
        after: Any = None,
    ) -> None:
        """Append one record. `before`/`after` are any records; stored as canonical JSON."""
        self.connection.execute(
            insert(audit_log).values(
                recorded_at=at,
                actor=str(actor),
                action=action,
                subject_type=subject_type,
                subject_id=subject_id,
                before=None if before is None else canonical_json(before),
                after=None if after is None else canonical_json(after),
            )
        )

    def list(self, *, subject_type: str | None = None, limit: int = 100) -> tuple[AuditRecord, ...]:
        query = select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit)
        if subject_type:
            query = query.where(audit_log.c.subject_type == subject_type)
        return tuple(AuditRecord(**row._mapping) for row in self.connection.execute(query))
