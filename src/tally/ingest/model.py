"""Records of the ingest stage: frozen dataclasses, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredEvent:
    """A usage event as committed: deduplicated on (source, event_id), payload kept as exact JSON text.

    `data_json` is the payload's JSON text exactly as received (numbers keep every digit); parse it
    with `tally.ingest.jsonexact.loads_exact` (Decimal for every number), never with a float parser.
    """

    seq: int
    source: str
    event_id: str
    event_type: str
    subject: str
    event_time: datetime
    received_at: datetime
    data_json: str
