"""Typed errors of the ingest stage.

TallyError
├── InvalidInput (tally.errors)      invalid_input      400 / exit 2  body not JSON, wrong content type, limits
│   └── UnsupportedContentType       unsupported_content_type
└── Conflict (tally.errors)          conflict           409 / exit 4
    └── MappingOverlap               mapping_overlap    a subject would belong to two customers at once

Per-event problems are not exceptions: they are `Rejection` values in a `BatchResult`.
"""

from __future__ import annotations

from datetime import datetime

from tally.errors import Conflict, InvalidInput


class UnsupportedContentType(InvalidInput):
    code = "unsupported_content_type"
    title = "Unsupported content type"

    def __init__(self, content_type: str, accepted: tuple[str, ...]) -> None:
        super().__init__("content-type", f"must be one of {', '.join(accepted)}, got {content_type!r}")


def _span(start: datetime, end: datetime | None) -> str:
    return f"[{start.isoformat()}, {end.isoformat() if end else '∞'})"


class MappingOverlap(Conflict):
    code = "mapping_overlap"
    title = "Subject mappings overlap"

    def __init__(self, subject: str, new_customer: str, new_from: datetime, new_to: datetime | None,
                 old_customer: str, old_from: datetime, old_to: datetime | None) -> None:
        super().__init__(
            f"subject {subject!r}: mapping to {new_customer!r} for {_span(new_from, new_to)} overlaps the mapping "
            f"to {old_customer!r} for {_span(old_from, old_to)}; end the earlier one first (--to, or --supersede "
            f"to end an open-ended mapping where the new one starts)")
        self.subject = subject
