"""Metering use cases: apply (create or version) meters, list, delete, rebuild, verify, rejects.

Functions taking an open `uow` compose inside another service's transaction and never commit;
those taking `uow_factory` own theirs. Every change is audited.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Connection

from tally.audit.canonical import digest
from tally.audit.model import Actor
from tally.clock import Clock
from tally.ingest.attribution import Attribution
from tally.ingest.mapping_store import load_mappings
from tally.metering import store
from tally.metering.errors import MeterNotFound
from tally.metering.maintain import fold, hour_end, recompute
from tally.metering.model import Aggregation, MeterDefinition, MeterVersion, RollupState, StoredReject
from tally.metering.rollup import Accumulator, CompiledMeter, KeyTuple, day_end, day_start, hour_start, key_of
from tally.period import Period
from tally.store.uow import UnitOfWork, UnitOfWorkFactory

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_meter_id(at: datetime) -> str:
    """A ULID (48-bit milliseconds + 80 random bits, Crockford base32) as OpenMeter's ids are."""
    value = (int(at.timestamp() * 1000) << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


class MeterAction(StrEnum):
    CREATED = "created"
    VERSIONED = "versioned"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterChange:
    slug: str
    version: int
    action: MeterAction
    effective_from: datetime | None
    events_backfilled: int = 0


def stored_slugs(uow: UnitOfWork) -> frozenset[str]:
    """Slugs of live meters (the catalog hook's `known_slugs`)."""
    return frozenset(v.slug for v in store.load_versions(uow.connection, live_only=True))


def apply_meters(uow: UnitOfWork, definitions: Sequence[MeterDefinition], *, actor: Actor,
                 at: datetime) -> tuple[MeterChange, ...]:
    """Create each meter, or a NEW VERSION effective from `at` when its definition changed; an
    unchanged definition is a no-op. Never commits (composes inside the catalog's transaction).

    A version with no live predecessor (a new slug, or one re-created after deletion) covers every
    event from the beginning; a changed definition's version covers events from `at`. A new version's
    rollups are backfilled from the raw events it covers, in this same transaction.
    """
    connection = uow.connection
    existing = store.load_versions(connection, slugs=[d.slug for d in definitions])
    latest: dict[str, MeterVersion] = {}
    for v in existing:
        latest[v.slug] = v
    changes: list[MeterChange] = []
    for definition in definitions:
        before = latest.get(definition.slug)
        doc_digest = digest(definition.document())
        if before is not None and before.deleted_at is None and before.digest == doc_digest:
            changes.append(MeterChange(slug=definition.slug, version=before.version, action=MeterAction.UNCHANGED,
                                       effective_from=before.effective_from))
            continue
        live_before = before is not None and before.deleted_at is None
        version = MeterVersion(
            meter_id=before.meter_id if before is not None else new_meter_id(at),
            version=before.version + 1 if before is not None else 1, definition=definition,
            effective_from=at if live_before else None, created_at=at, updated_at=at, deleted_at=None,
            digest=doc_digest)
        store.insert_version(connection, version)
        backfilled = recompute(connection, [version], start=None, end=None, at=at) if version.effective_from is None \
            else _backfill_from(connection, version, at)
        action = MeterAction.VERSIONED if live_before else MeterAction.CREATED
        uow.audit.record(f"meter.{action.value}", actor=actor, subject_type="meter",
                         subject_id=f"{definition.slug}@{version.version}", at=at,
                         before=before.definition.document() if live_before and before else None,
                         after={**definition.document(), "version": version.version,
                                "effective_from": version.effective_from})
        changes.append(MeterChange(slug=definition.slug, version=version.version, action=action,
                                   effective_from=version.effective_from, events_backfilled=backfilled))
    return tuple(changes)


def _backfill_from(connection: Connection, version: MeterVersion, at: datetime) -> int:
    """A new version from `at`: fold the already-stored events at or after `at` (usually none)."""
    compiled = (CompiledMeter.of(version),)
    read = 0
    for chunk in store.stream_events(connection, event_types=[version.definition.event_type], start=at):
        fold(connection, compiled, chunk, at=at)
        read += len(chunk)
    return read


def apply_meter_definitions(uow_factory: UnitOfWorkFactory, definitions: Sequence[MeterDefinition], *,
                            actor: Actor, clock: Clock) -> tuple[MeterChange, ...]:
    """`tally meters apply FILE` and `POST /meters`: apply in one transaction, all or nothing."""
    with uow_factory() as uow:
        changes = apply_meters(uow, definitions, actor=actor, at=clock.now())
        uow.commit()
    return changes


def list_meters(uow: UnitOfWork, *, include_deleted: bool = False) -> tuple[MeterVersion, ...]:
    """The latest version of each meter (live ones unless `include_deleted`), by slug."""
    latest: dict[str, MeterVersion] = {}
    created: dict[str, datetime] = {}
    for v in store.load_versions(uow.connection):
        latest[v.slug] = v
        created.setdefault(v.slug, v.created_at)
    # createdAt is the meter's (its first version's); updatedAt its latest version's.
    return tuple(replace(v, created_at=created[v.slug]) for v in latest.values()
                 if include_deleted or v.deleted_at is None)


def meter_versions(uow: UnitOfWork, slug: str) -> tuple[MeterVersion, ...]:
    versions = store.load_versions(uow.connection, slugs=[slug])
    if not versions:
        raise MeterNotFound(slug)
    return versions


def get_meter(uow: UnitOfWork, id_or_slug: str) -> MeterVersion:
    """The latest live version of a meter, by slug or by its OpenMeter id."""
    for v in list_meters(uow):
        if v.slug == id_or_slug or v.meter_id == id_or_slug:
            return v
    raise MeterNotFound(id_or_slug)


def delete_meter(uow_factory: UnitOfWorkFactory, id_or_slug: str, *, actor: Actor, clock: Clock) -> MeterVersion:
    """Stop maintaining a meter. Its rollups stay (invoices name them); re-creating the slug makes a
    new version that covers every event again."""
    at = clock.now()
    with uow_factory() as uow:
        meter = get_meter(uow, id_or_slug)
        store.mark_deleted(uow.connection, meter.slug, at)
        uow.audit.record("meter.deleted", actor=actor, subject_type="meter", subject_id=f"{meter.slug}@{meter.version}",
                         at=at, before=meter.definition.document())
        uow.commit()
    return meter


def version_in_force(uow: UnitOfWork, slug: str, at: datetime) -> MeterVersion:
    """The live version whose coverage includes `at` with the latest start (the period rule uses the
    period's start)."""
    versions = [v for v in store.load_versions(uow.connection, slugs=[slug], live_only=True) if v.covers(at)]
    if not versions:
        raise MeterNotFound(slug, "no live meter with that slug" if not store.load_versions(
            uow.connection, slugs=[slug], live_only=True) else f"no version in force at {at.isoformat()}")
    return versions[-1]


def stored_event_range(uow_factory: UnitOfWorkFactory) -> Period | None:
    """The whole hours covering every stored event of a live meter's type (verify's default range)."""
    with uow_factory() as uow:
        types = {v.definition.event_type for v in store.load_versions(uow.connection, live_only=True)}
        bounds = store.event_time_bounds(uow.connection, event_types=types) if types else None
    if bounds is None:
        return None
    return Period(hour_start(bounds[0]), hour_end(bounds[1] + timedelta(microseconds=1)))


@dataclass(frozen=True, slots=True, kw_only=True)
class RebuildResult:
    slug: str
    versions: tuple[int, ...]
    period: Period
    events_read: int


def rebuild(uow_factory: UnitOfWorkFactory, slug: str, *, period: Period, actor: Actor, clock: Clock,
            progress: Callable[[int], None] | None = None,
            total: Callable[[int], None] | None = None) -> RebuildResult:
    """Recompute the rollups of every live version of `slug` for the hours covering `period` from raw events."""
    at = clock.now()
    with uow_factory() as uow:
        versions = store.load_versions(uow.connection, slugs=[slug], live_only=True)
        if not versions:
            raise MeterNotFound(slug)
        if total is not None:
            total(store.count_events(uow.connection, event_types={v.definition.event_type for v in versions},
                                     start=hour_start(period.start), end=hour_end(period.end)))
        read = recompute(uow.connection, versions, start=period.start, end=period.end, at=at, progress=progress)
        uow.audit.record("meter.rebuilt", actor=actor, subject_type="meter", subject_id=slug, at=at,
                         after={"period": period.label, "versions": [v.version for v in versions],
                                "events_read": read})
        uow.commit()
    return RebuildResult(slug=slug, versions=tuple(v.version for v in versions), period=period, events_read=read)


@dataclass(frozen=True, slots=True, kw_only=True)
class Difference:
    """One rollup key where the stored state and the state recomputed from raw events disagree."""

    meter_slug: str
    meter_version: int
    customer_id: str
    subject: str
    window_start: datetime
    group_key: str
    stored: RollupState | None
    expected: RollupState | None
    distinct_stored: int = 0
    distinct_expected: int = 0
    level: str = "hour"  # "day": a daily rollup that is not the merge of its day's events


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyReport:
    period: Period
    meters_checked: tuple[str, ...]
    events_read: int
    keys_checked: int
    differences: tuple[Difference, ...]

    @property
    def ok(self) -> bool:
        return not self.differences


def verify(uow_factory: UnitOfWorkFactory, *, period_or_range: Period, slugs: Sequence[str] | None = None,
           differences_max: int = 1000) -> VerifyReport:
    """Recompute every live meter version from raw events over the hours covering the range and
    compare key by key with the stored rollups (states and exact distinct sets), and the daily rollups
    of the whole UTC days inside the range with the same states merged per day."""
    start, end = hour_start(period_or_range.start), hour_end(period_or_range.end)
    differences: list[Difference] = []
    checked: list[str] = []
    events_read = 0
    keys_checked = 0
    with uow_factory() as uow:
        connection = uow.connection
        for version in store.load_versions(connection, slugs=slugs, live_only=True):
            checked.append(f"{version.slug}@{version.version}")
            accumulator = Accumulator()
            compiled = (CompiledMeter.of(version),)
            for chunk in store.stream_events(connection, event_types=[version.definition.event_type],
                                             start=start, end=end):
                attribution = Attribution(load_mappings(connection, {e.subject for e in chunk}))
                accumulator.add(compiled, chunk, attribution.customer_for)
                events_read += len(chunk)
            expected = accumulator.frozen()
            stored = store.select_states(connection, meter_slug=version.slug, meter_version=version.version,
                                         start=start, end=end)
            stored_distinct = (store.select_distinct(connection, stored)
                               if version.definition.aggregation is Aggregation.UNIQUE_COUNT else {})
            for key in sorted(set(expected) | set(stored), key=_sort_key):
                keys_checked += 1
                want, have = expected.get(key), stored.get(key)
                want_d, have_d = accumulator.distinct.get(key, set()), stored_distinct.get(key, set())
                if (want != have or want_d != have_d) and len(differences) < differences_max:
                    differences.append(_difference(key, have, want, len(have_d), len(want_d)))
            first_day = day_end(start)
            if first_day < day_start(end):  # whole days inside the range: their daily rollups too
                want_days = {k: v for k, v in store.daily_states(expected).items()
                             if first_day <= k[4] < day_start(end)}
                have_days = store.select_states(connection, meter_slug=version.slug, meter_version=version.version,
                                                start=first_day, end=day_start(end), table=store.DAILY)
                for key in sorted(set(want_days) | set(have_days), key=_sort_key):
                    keys_checked += 1
                    want, have = want_days.get(key), have_days.get(key)
                    if want != have and len(differences) < differences_max:
                        differences.append(_difference(key, have, want, 0, 0, level="day"))
    return VerifyReport(period=Period(start, end), meters_checked=tuple(checked), events_read=events_read,
                        keys_checked=keys_checked, differences=tuple(differences))


def _difference(key: KeyTuple, stored: RollupState | None, expected: RollupState | None, distinct_stored: int,
                distinct_expected: int, *, level: str = "hour") -> Difference:
    k = key_of(key)
    return Difference(meter_slug=k.meter_slug, meter_version=k.meter_version, customer_id=k.customer_id,
                      subject=k.subject, window_start=k.window_start, group_key=k.group_key, stored=stored,
                      expected=expected, distinct_stored=distinct_stored, distinct_expected=distinct_expected,
                      level=level)


def _sort_key(key: KeyTuple) -> tuple[str, str, datetime, str]:
    return (key[2], key[3], key[4], key[5])


def rejects(uow: UnitOfWork, *, meter_slug: str | None = None, limit: int = 1000) -> tuple[StoredReject, ...]:
    """Events meters could not use, oldest first, with their reasons."""
    return store.load_rejects(uow.connection, meter_slug=meter_slug, limit=limit)
