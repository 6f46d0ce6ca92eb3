"""Records of the metering stage: frozen dataclasses, no I/O.

A meter turns events of one type into a quantity; a rollup state is the mergeable summary of the
events of one (meter version, customer, subject, hour, group values). Never reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class Aggregation(StrEnum):
    SUM = "SUM"
    COUNT = "COUNT"
    UNIQUE_COUNT = "UNIQUE_COUNT"
    MIN = "MIN"
    MAX = "MAX"
    AVG = "AVG"
    LATEST = "LATEST"


NUMERIC_AGGREGATIONS = frozenset({Aggregation.SUM, Aggregation.MIN, Aggregation.MAX, Aggregation.AVG,
                                  Aggregation.LATEST})


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterDefinition:
    """What a meter counts, in OpenMeter's shape. Paths are JSONPaths into the event's `data`."""

    slug: str
    name: str
    description: str = ""
    event_type: str
    aggregation: Aggregation
    value_property: str | None = None            # required except for COUNT
    group_by: tuple[tuple[str, str], ...] = ()   # (name, JSONPath), sorted by name
    filter: tuple[tuple[str, str], ...] = ()     # (field or JSONPath, expected text), sorted

    def document(self) -> dict[str, object]:
        """The definition as OpenMeter-shaped JSON (what is digested to detect a change)."""
        return {"slug": self.slug, "name": self.name, "description": self.description,
                "eventType": self.event_type, "aggregation": self.aggregation.value,
                "valueProperty": self.value_property, "groupBy": dict(self.group_by),
                "filter": dict(self.filter)}


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterVersion:
    """One stored version of a meter. `effective_from` None: covers every event from the beginning
    (the first live version of a slug); otherwise events with `event_time >= effective_from`."""

    meter_id: str
    version: int
    definition: MeterDefinition
    effective_from: datetime | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    digest: str

    @property
    def slug(self) -> str:
        return self.definition.slug

    def covers(self, event_time: datetime) -> bool:
        return self.effective_from is None or event_time >= self.effective_from


@dataclass(frozen=True, slots=True, kw_only=True)
class RollupKey:
    """Where a rollup state belongs. `customer_id` is '' when the subject was unmapped at event time."""

    meter_slug: str
    meter_version: int
    customer_id: str
    subject: str
    window_start: datetime       # the UTC hour containing the events
    group_key: str               # canonical JSON object of group name → value text (or null)


@dataclass(frozen=True, slots=True, kw_only=True)
class RollupState:
    """Mergeable summary of some events. Merging is associative and commutative; the empty state is
    the identity. `sum`/`min`/`max`/`latest` are None for meters whose values are not numbers."""

    count: int = 0
    sum: Decimal = Decimal(0)
    min: Decimal | None = None
    max: Decimal | None = None
    latest: Decimal | None = None
    latest_time: datetime | None = None
    latest_seq: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterReject:
    """An event a meter could not use (value missing or not a number): kept with its reason."""

    event_seq: int
    meter_slug: str
    meter_version: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UsageAmount:
    """One meter's quantity for one customer over a period, and the digest of the states it came from.

    `rollup_digest` is a SHA-256 over the canonical states used (for SUM, COUNT and AVG: each subject and
    group's exact count and sum over the period; otherwise every hourly state); the same quantity computed
    from raw events has the digest of the states recomputed from those events (equal when the rollups
    are right and the period is whole hours)."""

    meter_slug: str
    meter_version: int
    quantity: Decimal
    rollup_digest: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredReject:
    """A meter reject as recorded, for `tally meters rejects`."""

    seq: int
    event_seq: int
    meter_slug: str
    meter_version: int
    reason: str
    recorded_at: datetime
