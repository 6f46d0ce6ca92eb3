"""Subject mappings: effective-dated, no overlaps, remap notifications, unmapped reporting."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tally.clock import FixedClock
from tally.ingest import service
from tally.ingest.attribution import SubjectMapping
from tally.ingest.errors import MappingOverlap
from tally.ingest.model import UnmappedSubject
from tally.ingest.observers import IngestHooks
from tally.period import Period
from tests.conftest import TestDatabase
from tests.ingest.fakes import ACTOR, RecordingObserver, body, cloudevent, settings_for

NOV = datetime(2026, 11, 1, tzinfo=UTC)
NOV10 = datetime(2026, 11, 10, tzinfo=UTC)
NOV20 = datetime(2026, 11, 20, tzinfo=UTC)


def mapping(subject: str, customer: str, start: datetime, end: datetime | None = None) -> SubjectMapping:
    return SubjectMapping(subject=subject, customer_id=customer, effective_from=start, effective_to=end)


def test_mappings_are_stored_idempotently_and_observers_hear_of_them(db: TestDatabase, clock: FixedClock) -> None:
    observer = RecordingObserver()
    hooks = IngestHooks(observers=(observer,))
    given = [mapping("dep-1", "acme", NOV, NOV10), mapping("dep-1", "globex", NOV10)]
    assert service.map_subjects(db.uow_factory, given, hooks=hooks, actor=ACTOR, clock=clock) == 2
    assert service.map_subjects(db.uow_factory, given, hooks=hooks, actor=ACTOR, clock=clock) == 0
    assert service.list_subject_mappings(db.uow_factory) == tuple(given)
    with db.uow_factory() as uow:
        assert service.subject_mappings_for(uow, ["dep-1", "dep-9"]) == tuple(given)
        assert service.subject_mappings_for(uow, []) == ()
    assert observer.remapped[0] == ("dep-1", Period(NOV, NOV10))
    subject, affected = observer.remapped[1]
    assert subject == "dep-1" and affected.start == NOV10 and affected.end > clock.now()
    assert len(observer.remapped) == 2


def test_overlapping_mappings_are_refused_with_both_spans_named(db: TestDatabase, clock: FixedClock) -> None:
    hooks = IngestHooks()
    service.map_subjects(db.uow_factory, [mapping("dep-1", "acme", NOV)], hooks=hooks, actor=ACTOR, clock=clock)
    with pytest.raises(MappingOverlap) as caught:
        service.map_subjects(db.uow_factory, [mapping("dep-2", "acme", NOV), mapping("dep-1", "globex", NOV10)],
                             hooks=hooks, actor=ACTOR, clock=clock)
    message = str(caught.value)
    assert "dep-1" in message and "globex" in message and "acme" in message and "overlaps" in message
    assert caught.value.code == "mapping_overlap" and caught.value.http_status == 409
    # all or nothing: dep-2 was not stored either
    assert [m.subject for m in service.list_subject_mappings(db.uow_factory)] == ["dep-1"]
    with pytest.raises(MappingOverlap):  # overlaps inside one call are refused too
        service.map_subjects(db.uow_factory, [mapping("dep-3", "a", NOV, NOV20), mapping("dep-3", "b", NOV10)],
                             hooks=hooks, actor=ACTOR, clock=clock)
    # adjacent half-open spans do not overlap
    assert service.map_subjects(db.uow_factory, [mapping("dep-3", "a", NOV, NOV10), mapping("dep-3", "b", NOV10)],
                                hooks=hooks, actor=ACTOR, clock=clock) == 2


def test_supersede_ends_the_open_mapping_where_the_new_one_starts(db: TestDatabase, clock: FixedClock) -> None:
    observer = RecordingObserver()
    hooks = IngestHooks(observers=(observer,))
    service.map_subjects(db.uow_factory, [mapping("dep-1", "acme", NOV)], hooks=hooks, actor=ACTOR, clock=clock)
    service.map_subjects(db.uow_factory, [mapping("dep-1", "globex", NOV10, NOV20)], hooks=hooks, actor=ACTOR,
                         clock=clock, supersede=True)
    assert service.list_subject_mappings(db.uow_factory, subject="dep-1") == (
        mapping("dep-1", "acme", NOV, NOV10), mapping("dep-1", "globex", NOV10, NOV20))
    _subject, affected = observer.remapped[-1]
    assert affected.start == NOV10 and affected.end > NOV20  # after NOV20 dep-1 is now unmapped


def test_unmapped_subjects_are_reported_until_mapped(db: TestDatabase, clock: FixedClock) -> None:
    service.ingest_body(db.uow_factory, body(
        cloudevent("a", subject="dep-1", time="2026-11-02T00:00:00Z"),
        cloudevent("b", subject="dep-1", time="2026-11-12T00:00:00Z"),
        cloudevent("c", subject="dep-2", time="2026-10-30T00:00:00Z")),
        content_type="application/json", origin="http", hooks=IngestHooks(), settings=settings_for(db.url),
        clock=clock, actor=ACTOR)
    assert service.unmapped_subjects(db.uow_factory) == (
        UnmappedSubject(subject="dep-1", events=2, first_time=datetime(2026, 11, 2, tzinfo=UTC),
                        last_time=datetime(2026, 11, 12, tzinfo=UTC)),
        UnmappedSubject(subject="dep-2", events=1, first_time=datetime(2026, 10, 30, tzinfo=UTC),
                        last_time=datetime(2026, 10, 30, tzinfo=UTC)))
    assert [u.subject for u in service.unmapped_subjects(db.uow_factory, period=Period.month("2026-11"))] == \
        ["dep-1"]
    service.map_subjects(db.uow_factory, [mapping("dep-1", "acme", NOV10)], hooks=IngestHooks(), actor=ACTOR,
                         clock=clock)
    (left, _) = service.unmapped_subjects(db.uow_factory)
    assert (left.subject, left.events, left.last_time) == ("dep-1", 1, datetime(2026, 11, 2, tzinfo=UTC))
