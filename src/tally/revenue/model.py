"""Records of the revenue stage: recognition schedules. Frozen dataclasses, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from tally.money import Money
from tally.period import Period


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    """A recurring fee billed ahead of (or behind) its service: deferred, then released by day.

    `amount` is signed: a credit note's schedule is negative and takes back what was released.
    """

    schedule_id: str
    document_id: str
    document_number: str
    line_no: int
    customer_id: str
    product_code: str | None
    revenue_category: str
    service_period: Period
    amount: Money


def schedule_id_for(document_id: str, line_no: int) -> str:
    return f"sch_{document_id}_{line_no}"
