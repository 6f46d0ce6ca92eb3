"""An in-memory UsageSource for service tests: quantities by (customer, meter, filter)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tally.period import Period


@dataclass(frozen=True, slots=True)
class FakeUsageAmount:
    meter_slug: str
    meter_version: int
    quantity: Decimal
    rollup_digest: str


@dataclass
class FakeUsage:
    """`quantities[(customer, meter, ((k, v), …))]`; anything not listed is zero. Records every call."""

    quantities: dict[tuple[str, str, tuple[tuple[str, str], ...]], Decimal] = field(default_factory=dict)
    calls: list[tuple[str, str, Period, tuple[tuple[str, str], ...]]] = field(default_factory=list)

    def set(self, customer: str, meter: str, quantity: str, **group: str) -> FakeUsage:
        self.quantities[(customer, meter, tuple(sorted(group.items())))] = Decimal(quantity)
        return self

    def __call__(self, uow: Any, *, customer_id: str, period: Period, meter_slug: str,
                 group_filter: Mapping[str, str] | None = None) -> FakeUsageAmount:
        key = tuple(sorted((group_filter or {}).items()))
        self.calls.append((customer_id, meter_slug, period, key))
        quantity = self.quantities.get((customer_id, meter_slug, key), Decimal(0))
        digest = hashlib.sha256(f"{customer_id}|{meter_slug}|{key}|{period.label}|{quantity}".encode()).hexdigest()
        return FakeUsageAmount(meter_slug=meter_slug, meter_version=1, quantity=quantity, rollup_digest=digest)
