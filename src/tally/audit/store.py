"""Writes and reads the append-only audit table. Never commits; the unit of work does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from tally.audit.canonical import canonical_json
from tally.audit.model import Actor, AuditEntry, AuditRecord
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
        self.record_many(action, actor=actor, subject_type=subject_type, at=at,
                         entries=(AuditEntry(subject_id=subject_id, before=before, after=after),))

    def record_many(self, action: str, *, actor: Actor, subject_type: str, at: datetime,
                    entries: Sequence[AuditEntry]) -> None:
        """Append one record per entry with a single statement (a billing batch's invoices); rows as `record`."""
        if not entries:
            return
        self.connection.execute(insert(audit_log), [
            {"recorded_at": at, "actor": str(actor), "action": action, "subject_type": subject_type,
             "subject_id": entry.subject_id,
             "before": None if entry.before is None else canonical_json(entry.before),
             "after": None if entry.after is None else canonical_json(entry.after)}
            for entry in entries])

    def list(self, *, subject_type: str | None = None, limit: int = 100) -> tuple[AuditRecord, ...]:
        query = select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit)
        if subject_type:
            query = query.where(audit_log.c.subject_type == subject_type)
        return tuple(AuditRecord(**row._mapping) for row in self.connection.execute(query))
