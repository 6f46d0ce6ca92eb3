"""Records of the ingest stage: frozen dataclasses, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredEvent:
    """A usage event as committed: deduplicated on (source, event_id), payload kept as exact JSON text.

    `data_json` is the payload's JSON text exactly as received (numbers keep every digit); parse it
    with `tally.ingest.jsonexact.loads_exact` (Decimal for every number), never with a float parser.
    `late` is True when `event_time` fell in a billing period that was already closed on arrival:
    the event is kept for the correction flow, never silently added to the closed period.
    """

    seq: int
    source: str
    event_id: str
    event_type: str
    subject: str
    event_time: datetime
    received_at: datetime
    data_json: str
    late: bool = False


@dataclass(frozen=True, slots=True)
class Rejection:
    """One item refused: where it was (0-based batch index, or 1-based line number in a file),
    which field, and why."""

    index: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.index}: {self.field}: {self.reason}"


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What happened to one batch. accepted + duplicates + len(rejected) == items in the batch."""

    accepted: int
    duplicates: int
    rejected: tuple[Rejection, ...] = ()

    @property
    def total(self) -> int:
        return self.accepted + self.duplicates + len(self.rejected)


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What happened to a whole file: the batch counts summed, and how many lines were read.

    `lines` counts every line read (blank lines included); accepted + duplicates + rejected counts the
    events (items) among them.
    """

    accepted: int
    duplicates: int
    rejected: tuple[Rejection, ...]
    lines: int

    @property
    def total(self) -> int:
        return self.accepted + self.duplicates + len(self.rejected)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnmappedSubject:
    """A subject with events that no subject mapping covers (stored; billed once mapped)."""

    subject: str
    events: int
    first_time: datetime
    last_time: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class QuarantinedEvent:
    """A rejected item kept with its raw payload until it is fixed and replayed."""

    id: int
    received_at: datetime
    origin: str
    item_index: int | None
    field: str
    reason: str
    raw_payload: str
    replayed_at: datetime | None
