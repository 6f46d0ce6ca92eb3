"""Audit records written many at once are the rows `record` writes one at a time (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from tally.audit.model import Actor, AuditEntry
from tests.conftest import TestDatabase

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
ACTOR = Actor.cli_user("test")


def test_record_many_writes_the_rows_record_writes(db: TestDatabase) -> None:
    with db.uow_factory() as uow:
        uow.audit.record("invoice.issued", actor=ACTOR, subject_type="invoice", subject_id="inv_1", at=AT,
                         after={"total": Decimal("1.50")})
        uow.audit.record_many("invoice.issued", actor=ACTOR, subject_type="invoice", at=AT, entries=[
            AuditEntry(subject_id="inv_2", after={"total": Decimal("1.50")}),
            AuditEntry(subject_id="inv_3", before={"status": "draft"}, after={"total": Decimal("2.00")})])
        uow.audit.record_many("invoice.issued", actor=ACTOR, subject_type="invoice", at=AT, entries=[])
        uow.commit()
    with db.uow_factory() as uow:
        records = list(reversed(uow.audit.list(subject_type="invoice")))
    assert [r.subject_id for r in records] == ["inv_1", "inv_2", "inv_3"]
    one, two, three = records
    assert (two.recorded_at, two.actor, two.action, two.before, two.after) == \
        (one.recorded_at, one.actor, one.action, one.before, one.after)
    assert three.before is not None and three.after is not None and "2.00" in three.after
