"""The usage seam rating reads: one meter's quantity for one customer over a half-open period.

Version rule: a period is measured with the meter version in force at the period's START (the live
version with the latest start covering that instant); usage already invoiced therefore keeps its
version, whatever changes later. Whole hours come from rollups (SUM, COUNT and AVG read the whole UTC
days inside the period from the daily rollups, and only the hours around them hourly); the partial
hours at the edges of a period that does not start or end on an hour are computed from raw events, so
any half-open period is exact. Reads only; never commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tally.ingest.attribution import Attribution
from tally.ingest.mapping_store import load_mappings
from tally.metering import store
from tally.metering.maintain import hour_end
from tally.metering.model import Aggregation, MeterVersion, RollupState, UsageAmount
from tally.metering.rollup import (
    EXACT,
    Accumulator,
    CompiledMeter,
    KeyTuple,
    day_end,
    day_start,
    group_matches,
    hour_start,
    lines_digest,
    quantity,
    state_line,
)
from tally.metering.service import version_in_force
from tally.period import Period
from tally.store.uow import UnitOfWork

ADDITIVE = frozenset({Aggregation.SUM, Aggregation.COUNT, Aggregation.AVG})

__all__ = ["UsageAmount", "UsageReader", "customers_with_usage", "period_usage", "period_usage_from_events",
           "period_usage_many"]


def _from_events(uow: UnitOfWork, version: MeterVersion, customer_ids: Sequence[str],
                 ranges: Sequence[tuple[datetime, datetime]], received_by: datetime | None = None
                 ) -> tuple[dict[KeyTuple, RollupState], dict[KeyTuple, set[str]]]:
    """States recomputed from raw events of the customers' subjects within `ranges` (per hour key)."""
    connection = uow.connection
    wanted = set(customer_ids)
    subjects = sorted({s for c in wanted for s in store.subjects_of_customer(connection, c)})
    accumulator = Accumulator()
    compiled = (CompiledMeter.of(version),)
    if subjects:
        attribution = Attribution(load_mappings(connection, subjects))
        for start, end in ranges:
            for chunk in store.stream_events(connection, event_types=[version.definition.event_type], start=start,
                                             end=end, subjects=subjects, received_by=received_by):
                accumulator.add(compiled, chunk, attribution.customer_for)
    states = {k: v for k, v in accumulator.frozen().items() if k[2] in wanted}
    return states, {k: v for k, v in accumulator.distinct.items() if k in states}


def _row_state(row: tuple[Any, ...], full: bool) -> RollupState:
    """A canonical row as a state; min/max/latest are parsed only when the aggregation reads them."""
    if not full:
        return RollupState(count=int(row[5]), sum=Decimal(row[6]))
    low = None if row[7] is None else Decimal(row[7])
    return RollupState(count=int(row[5]), sum=Decimal(row[6]), min=low,
                       max=low if row[8] == row[7] else None if row[8] is None else Decimal(row[8]),
                       latest=low if row[9] == row[7] else None if row[9] is None else Decimal(row[9]),
                       latest_time=None if row[10] is None else datetime.fromisoformat(row[10]).replace(tzinfo=UTC),
                       latest_seq=None if row[11] is None else int(row[11]))


@dataclass(frozen=True, slots=True)
class _Measured:
    """One rollup (or recomputed hour) of one customer: its group, state, distinct values and digest line."""

    customer_id: str
    group_key: str
    state: RollupState
    values: tuple[str, ...]
    line: list[Any]


def _measure(uow: UnitOfWork, *, customer_ids: Sequence[str], period: Period, version: MeterVersion,
             group_filter: Mapping[str, str] | None, from_events: bool,
             received_by: datetime | None = None) -> list[_Measured]:
    """What the period holds for the customers, restricted to `group_filter` (None: every group); from raw
    events, only those received by `received_by` when given."""
    aggregation = version.definition.aggregation
    if aggregation in ADDITIVE:
        return _measure_totals(uow, customer_ids=customer_ids, period=period, version=version,
                               group_filter=group_filter, from_events=from_events, received_by=received_by)
    full = aggregation in (Aggregation.MIN, Aggregation.MAX, Aggregation.LATEST)
    inner_start, inner_end = hour_end(period.start), hour_start(period.end)
    wanted = set(customer_ids)
    out: list[_Measured] = []

    def add_states(found: Mapping[KeyTuple, RollupState], distinct: Mapping[KeyTuple, set[str]]) -> None:
        for key, state in found.items():
            if key[2] in wanted and group_matches(key[5], group_filter):
                values = tuple(distinct.get(key, ()))
                out.append(_Measured(key[2], key[5], state, values, state_line(key, state, values)))

    if from_events or inner_start >= inner_end:
        add_states(*_from_events(uow, version, customer_ids, [(period.start, period.end)],
                                 received_by if from_events else None))
    else:
        rows = store.select_rows(uow.connection, meter_slug=version.slug, meter_version=version.version,
                                 start=inner_start, end=inner_end, customer_ids=customer_ids)
        rows = [r for r in rows if group_matches(r[4], group_filter)]
        distinct = (store.select_distinct_by_rollup_key(uow.connection, [r[0] for r in rows])
                    if aggregation is Aggregation.UNIQUE_COUNT else {})
        for r in rows:
            found = distinct.get(r[0], [])
            out.append(_Measured(r[1], r[4], _row_state(r, full), tuple(found), [
                version.slug, version.version, r[1], r[2], r[3], r[4], int(r[5]), r[6], r[7], r[8], r[9], r[10],
                None if r[11] is None else int(r[11]), sorted(found)]))
        edges = [r for r in ((period.start, inner_start), (inner_end, period.end)) if r[0] < r[1]]
        if edges:
            add_states(*_from_events(uow, version, customer_ids, edges))
    return out


def _exact_text(value: Decimal) -> str:
    """A sum's digits without its spelling (1.50 and 1.5 alike): the digest must not depend on which side
    (the database's NUMERIC, or Decimal arithmetic over events) added the numbers up."""
    return format(EXACT.normalize(value), "f")


def _whole_windows(start: datetime, end: datetime) -> list[tuple[tuple[datetime, datetime], str]]:
    """Whole hours [start, end) as the whole UTC days inside them (daily rollups) and the hours around."""
    first_day, after_days = day_end(start), day_start(end)
    if first_day >= after_days:
        return [((start, end), store.HOURLY)]
    spans = [((start, first_day), store.HOURLY), ((first_day, after_days), store.DAILY),
             ((after_days, end), store.HOURLY)]
    return [(span, table) for span, table in spans if span[0] < span[1]]


def _measure_totals(uow: UnitOfWork, *, customer_ids: Sequence[str], period: Period, version: MeterVersion,
                    group_filter: Mapping[str, str] | None, from_events: bool,
                    received_by: datetime | None) -> list[_Measured]:
    """SUM, COUNT and AVG need only each (customer, subject, group)'s count and sum over the period, so
    that is what is read (PostgreSQL adds the hours up in SQL) and what the digest covers: one line per
    subject and group with its exact totals — the same lines whether they come from rollups or events,
    and whichever mix of daily and hourly rollups covered the period."""
    inner_start, inner_end = hour_end(period.start), hour_start(period.end)
    wanted = set(customer_ids)
    totals: dict[tuple[str, str, str], list[Any]] = {}

    def add(customer: str, subject: str, group_key: str, count: int, total: Decimal) -> None:
        if customer not in wanted or not group_matches(group_key, group_filter):
            return
        acc = totals.get((customer, subject, group_key))
        if acc is None:
            acc = totals[(customer, subject, group_key)] = [0, Decimal(0)]
        acc[0] += count
        acc[1] = EXACT.add(acc[1], total)

    def add_states(found: Mapping[KeyTuple, RollupState], _distinct: Mapping[KeyTuple, set[str]]) -> None:
        for key, state in found.items():
            add(key[2], key[3], key[5], state.count, state.sum)

    if from_events or inner_start >= inner_end:
        add_states(*_from_events(uow, version, customer_ids, [(period.start, period.end)],
                                 received_by if from_events else None))
    else:
        for (start, end), table in _whole_windows(inner_start, inner_end):
            for customer, subject, group_key, count, total in store.sum_rows(
                    uow.connection, meter_slug=version.slug, meter_version=version.version, start=start, end=end,
                    customer_ids=customer_ids, table=table):
                add(customer, subject, group_key, count, total)
        edges = [r for r in ((period.start, inner_start), (inner_end, period.end)) if r[0] < r[1]]
        if edges:
            add_states(*_from_events(uow, version, customer_ids, edges))
    return [_Measured(customer, group_key, RollupState(count=count, sum=total), (),
                      [version.slug, version.version, customer, subject, group_key, count, _exact_text(total)])
            for (customer, subject, group_key), (count, total) in totals.items() if count]


def _amounts(version: MeterVersion, measured: Sequence[_Measured], customer_ids: Sequence[str],
             group_filter: Mapping[str, str] | None) -> dict[str, UsageAmount]:
    states: dict[str, list[RollupState]] = {c: [] for c in customer_ids}
    values: dict[str, list[str]] = {c: [] for c in customer_ids}
    lines: dict[str, list[list[Any]]] = {c: [] for c in customer_ids}
    for m in measured:
        if m.customer_id in states and group_matches(m.group_key, group_filter):
            states[m.customer_id].append(m.state)
            values[m.customer_id].extend(m.values)
            lines[m.customer_id].append(m.line)
    aggregation = version.definition.aggregation
    return {c: UsageAmount(meter_slug=version.slug, meter_version=version.version,
                           quantity=quantity(aggregation, states[c], values[c]), rollup_digest=lines_digest(lines[c]))
            for c in customer_ids}


def _usage(uow: UnitOfWork, *, customer_ids: Sequence[str], period: Period, meter_slug: str,
           group_filter: Mapping[str, str] | None, from_events: bool,
           received_by: datetime | None = None) -> dict[str, UsageAmount]:
    version = version_in_force(uow, meter_slug, period.start)
    measured = _measure(uow, customer_ids=customer_ids, period=period, version=version, group_filter=group_filter,
                        from_events=from_events, received_by=received_by)
    return _amounts(version, measured, customer_ids, None)


class UsageReader:
    """`period_usage` (or `period_usage_from_events`) reading each (customer, period, meter) once.

    Rating asks one meter once per product bound to it (three compute sizes read the same instance-hours
    rollups with different group filters); this reader loads every group once and answers each filter from
    memory, with the same quantity and digest as the uncached functions. A billing run's batch `prefetch`es
    each meter for all its customers with one query. Make one per rating batch: it trusts that the meters
    and rollups do not change while it lives.
    """

    def __init__(self, *, from_events: bool = False, received_by: datetime | None = None) -> None:
        self._from_events = from_events
        self._received_by = received_by
        self._versions: dict[tuple[str, datetime], MeterVersion] = {}
        self._measured: dict[tuple[str, Period, str], tuple[MeterVersion, dict[str, list[_Measured]]]] = {}

    def prefetch(self, uow: UnitOfWork, *, customer_ids: Sequence[str], period: Period, meter_slug: str) -> None:
        """Read the meter over `period` for every customer at once (what each later call answers from)."""
        wanted = [c for c in dict.fromkeys(customer_ids) if (c, period, meter_slug) not in self._measured]
        if wanted:
            self._load(uow, wanted, period, meter_slug)

    def __call__(self, uow: UnitOfWork, *, customer_id: str, period: Period, meter_slug: str,
                 group_filter: Mapping[str, str] | None = None) -> UsageAmount:
        cached = self._measured.get((customer_id, period, meter_slug))
        if cached is None:
            self._load(uow, [customer_id], period, meter_slug)
            cached = self._measured[(customer_id, period, meter_slug)]
        version, by_group = cached
        matching = [m for group_key, measured in by_group.items() if group_matches(group_key, group_filter)
                    for m in measured]  # the filter is decided once per group, not once per rollup
        return _amounts(version, matching, [customer_id], None)[customer_id]

    def _load(self, uow: UnitOfWork, customer_ids: Sequence[str], period: Period, meter_slug: str) -> None:
        version = self._versions.get((meter_slug, period.start))
        if version is None:
            version = self._versions[(meter_slug, period.start)] = version_in_force(uow, meter_slug, period.start)
        by_customer: dict[str, dict[str, list[_Measured]]] = {c: {} for c in customer_ids}
        for m in _measure(uow, customer_ids=customer_ids, period=period, version=version, group_filter=None,
                          from_events=self._from_events, received_by=self._received_by):
            by_customer[m.customer_id].setdefault(m.group_key, []).append(m)
        for customer_id, by_group in by_customer.items():
            self._measured[(customer_id, period, meter_slug)] = (version, by_group)


def period_usage(uow: UnitOfWork, *, customer_id: str, period: Period, meter_slug: str,
                 group_filter: Mapping[str, str] | None = None) -> UsageAmount:
    """The meter's aggregation merged over the whole period from rollups (see the module's version rule).
    Unknown or deleted meter → MeterNotFound."""
    return _usage(uow, customer_ids=[customer_id], period=period, meter_slug=meter_slug, group_filter=group_filter,
                  from_events=False)[customer_id]


def period_usage_from_events(uow: UnitOfWork, *, customer_id: str, period: Period, meter_slug: str,
                             group_filter: Mapping[str, str] | None = None,
                             received_by: datetime | None = None) -> UsageAmount:
    """The same quantity recomputed from raw events (for verification). Its digest is over the hourly
    states recomputed from the events: equal to `period_usage`'s when the rollups are right. With
    `received_by`, only events received by then count: an invoice rated at that instant is verified against
    what it could have seen, so usage that arrived later shows up in a re-rate, not as a verify failure."""
    return _usage(uow, customer_ids=[customer_id], period=period, meter_slug=meter_slug, group_filter=group_filter,
                  from_events=True, received_by=received_by)[customer_id]


def period_usage_many(uow: UnitOfWork, *, customer_ids: Sequence[str], period: Period, meter_slug: str,
                      group_filter: Mapping[str, str] | None = None) -> dict[str, UsageAmount]:
    """`period_usage` for many customers with one rollup query (a billing run's batch)."""
    if not customer_ids:
        return {}
    return _usage(uow, customer_ids=list(dict.fromkeys(customer_ids)), period=period, meter_slug=meter_slug,
                  group_filter=group_filter, from_events=False)


def customers_with_usage(uow: UnitOfWork, *, period: Period) -> tuple[str, ...]:
    """Customers with any rolled-up usage of a live meter in the hours covering `period`, sorted.
    (A superset at partial-hour edges: their usage then computes to what the period holds.)"""
    connection = uow.connection
    versions: dict[str, MeterVersion] = {}
    for v in store.load_versions(connection, live_only=True):
        if v.covers(period.start):
            versions[v.slug] = v
    return store.customers_in(connection, start=hour_start(period.start), end=hour_end(period.end),
                              versions=[(v.slug, v.version) for v in versions.values()])


