"""Revenue schedules and their releases ↔ tables. Makes no decisions and never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Connection, func, insert, select

from tally.money import Money, currency
from tally.period import Period
from tally.revenue.model import Schedule
from tally.store.schema.ledger import revenue_releases, revenue_schedules


class ScheduleStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add(self, schedules: Sequence[Schedule], *, created_on: date) -> None:
        if not schedules:
            return
        known = {r.schedule_id for r in self.connection.execute(select(revenue_schedules.c.schedule_id).where(
            revenue_schedules.c.schedule_id.in_([s.schedule_id for s in schedules])))}
        rows = [{"schedule_id": s.schedule_id, "document_id": s.document_id, "document_number": s.document_number,
                 "line_no": s.line_no, "customer_id": s.customer_id, "product_code": s.product_code,
                 "revenue_category": s.revenue_category, "currency": s.amount.currency.code,
                 "service_start": s.service_period.start, "service_end": s.service_period.end,
                 "amount_minor": s.amount.to_minor_units(), "created_on": created_on}
                for s in schedules if s.schedule_id not in known]
        if rows:
            self.connection.execute(insert(revenue_schedules), rows)

    def all(self, *, created_before: date | None = None) -> tuple[Schedule, ...]:
        query = select(revenue_schedules).order_by(revenue_schedules.c.schedule_id)
        if created_before is not None:
            query = query.where(revenue_schedules.c.created_on < created_before)
        return tuple(Schedule(
            schedule_id=r.schedule_id, document_id=r.document_id, document_number=r.document_number,
            line_no=r.line_no, customer_id=r.customer_id, product_code=r.product_code,
            revenue_category=r.revenue_category, service_period=Period(r.service_start, r.service_end),
            amount=Money.from_minor_units(int(r.amount_minor), currency(r.currency)))
            for r in self.connection.execute(query))

    def released(self, *, through_on_or_before: date | None = None) -> dict[str, int]:
        """Minor units released so far per schedule."""
        query = select(revenue_releases.c.schedule_id, func.sum(revenue_releases.c.amount_minor)).group_by(
            revenue_releases.c.schedule_id)
        if through_on_or_before is not None:
            query = query.where(revenue_releases.c.through_on <= through_on_or_before)
        return {r[0]: int(r[1] or 0) for r in self.connection.execute(query)}

    def released_in(self, period_label: str) -> set[str]:
        return {r.schedule_id for r in self.connection.execute(
            select(revenue_releases.c.schedule_id).where(revenue_releases.c.period == period_label))}

    def record_release(self, *, schedule_id: str, period_label: str, through_on: date, amount: Money,
                       entry_id: str | None) -> None:
        self.connection.execute(insert(revenue_releases).values(
            schedule_id=schedule_id, period=period_label, through_on=through_on,
            amount_minor=amount.to_minor_units(), entry_id=entry_id))
