"""Which customer (billing account) a subject belongs to at an instant: effective-dated, half-open.

Pure: the mappings are passed in. A subject may move between customers at any instant; an event
at exactly `effective_from` belongs to the new customer. Never reads the clock or the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from tally.errors import InvalidInput


@dataclass(frozen=True, slots=True, kw_only=True)
class SubjectMapping:
    """`subject` belongs to `customer_id` during `[effective_from, effective_to)`."""

    subject: str
    customer_id: str
    effective_from: datetime
    effective_to: datetime | None = None  # None: until further notice

    def __post_init__(self) -> None:
        if not self.subject.strip():
            raise InvalidInput("subject", "must not be empty")
        if not self.customer_id.strip():
            raise InvalidInput("customer_id", "must not be empty", item=self.subject)
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise InvalidInput("effective_to", "must be after effective_from", item=self.subject)

    def covers(self, at: datetime) -> bool:
        return self.effective_from <= at and (self.effective_to is None or at < self.effective_to)


def customer_for(mappings: Iterable[SubjectMapping], subject: str, at: datetime) -> str | None:
    """The customer `subject` belongs to at `at`, or None when unmapped.

    Where mappings overlap, the one that started latest wins (a newer assignment supersedes).
    """
    best: SubjectMapping | None = None
    for mapping in mappings:
        if mapping.subject == subject and mapping.covers(at) and (
            best is None or mapping.effective_from > best.effective_from
        ):
            best = mapping
    return best.customer_id if best else None


class Attribution:
    """An index of mappings by subject for resolving many events quickly."""

    def __init__(self, mappings: Sequence[SubjectMapping]) -> None:
        self._by_subject: dict[str, list[SubjectMapping]] = {}
        for mapping in mappings:
            self._by_subject.setdefault(mapping.subject, []).append(mapping)
        for items in self._by_subject.values():
            items.sort(key=lambda m: m.effective_from, reverse=True)

    def customer_for(self, subject: str, at: datetime) -> str | None:
        for mapping in self._by_subject.get(subject, ()):
            if mapping.covers(at):
                return mapping.customer_id
        return None
