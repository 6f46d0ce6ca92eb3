"""The usage seam rating reads: one meter's quantity for one customer over a half-open period.

Version rule: a period is measured with the meter version in force at the period's START (the live
version with the latest start covering that instant); usage already invoiced therefore keeps its
version, whatever changes later. Whole hours come from rollups (one indexed range query); the
partial hours at the edges of a period that does not start or end on an hour are computed from raw
events, so any half-open period is exact. Reads only; never commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from tally.ingest.attribution import Attribution
from tally.ingest.mapping_store import load_mappings
from tally.metering import store
from tally.metering.maintain import hour_end
from tally.metering.model import Aggregation, MeterVersion, RollupState, UsageAmount
from tally.metering.rollup import (
    Accumulator,
    CompiledMeter,
    KeyTuple,
    decode_groups,
    hour_start,
    quantity,
    states_digest,
)
from tally.metering.service import version_in_force
from tally.period import Period
from tally.store.uow import UnitOfWork

__all__ = ["UsageAmount", "UsageReader", "customers_with_usage", "period_usage", "period_usage_from_events",
           "period_usage_many"]


def _matches(group_key: str, group_filter: Mapping[str, str] | None) -> bool:
    if not group_filter:
        return True
    groups = decode_groups(group_key)
    return all(groups.get(name) == str(value) for name, value in group_filter.items())


def _from_events(uow: UnitOfWork, version: MeterVersion, customer_ids: Sequence[str],
                 ranges: Sequence[tuple[datetime, datetime]]) -> tuple[dict[KeyTuple, RollupState],
                                                                       dict[KeyTuple, set[str]]]:
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
                                             end=end, subjects=subjects):
                accumulator.add(compiled, chunk, attribution.customer_for)
    states = {k: v for k, v in accumulator.frozen().items() if k[2] in wanted}
    return states, {k: v for k, v in accumulator.distinct.items() if k in states}


@dataclass(frozen=True, slots=True)
class _Loaded:
    """A meter's states for some customers over one period: what every group filter is answered from."""

    version: MeterVersion
    states: dict[KeyTuple, RollupState]
    distinct: dict[KeyTuple, set[str]]


def _load(uow: UnitOfWork, *, customer_ids: Sequence[str], period: Period, meter_slug: str,
          from_events: bool) -> _Loaded:
    version = version_in_force(uow, meter_slug, period.start)
    inner_start, inner_end = hour_end(period.start), hour_start(period.end)
    states: dict[KeyTuple, RollupState] = {}
    distinct: dict[KeyTuple, set[str]] = {}
    if from_events or inner_start >= inner_end:
        s, d = _from_events(uow, version, customer_ids, [(period.start, period.end)])
        states.update(s)
        distinct.update(d)
    else:
        states.update(store.select_states(uow.connection, meter_slug=version.slug, meter_version=version.version,
                                          start=inner_start, end=inner_end, customer_ids=customer_ids))
        if version.definition.aggregation is Aggregation.UNIQUE_COUNT:
            distinct.update(store.select_distinct(uow.connection, states))
        edges = [r for r in ((period.start, inner_start), (inner_end, period.end)) if r[0] < r[1]]
        if edges:
            s, d = _from_events(uow, version, customer_ids, edges)
            states.update(s)
            distinct.update(d)
    return _Loaded(version, states, distinct)


def _amount(loaded: _Loaded, customer_id: str, group_filter: Mapping[str, str] | None) -> UsageAmount:
    version = loaded.version
    used = {k: v for k, v in loaded.states.items() if k[2] == customer_id and _matches(k[5], group_filter)}
    used_distinct = {k: loaded.distinct[k] for k in used if k in loaded.distinct}
    values = [v for values in used_distinct.values() for v in values]
    return UsageAmount(meter_slug=version.slug, meter_version=version.version,
                       quantity=quantity(version.definition.aggregation, used.values(), values),
                       rollup_digest=states_digest(used, used_distinct))


def _usage(uow: UnitOfWork, *, customer_ids: Sequence[str], period: Period, meter_slug: str,
           group_filter: Mapping[str, str] | None, from_events: bool) -> dict[str, UsageAmount]:
    loaded = _load(uow, customer_ids=customer_ids, period=period, meter_slug=meter_slug, from_events=from_events)
    return {customer_id: _amount(loaded, customer_id, group_filter) for customer_id in customer_ids}


class UsageReader:
    """`period_usage` (or `period_usage_from_events`) reading each (customer, period, meter) once.

    Rating asks one meter once per product bound to it (three compute sizes read the same instance-hours
    rollups with different group filters); this reader loads the states once and answers every filter
    from them, with the same quantity and digest as the uncached functions. Make one per rating: it
    trusts that the rollups do not change while it lives.
    """

    def __init__(self, *, from_events: bool = False) -> None:
        self._from_events = from_events
        self._loaded: dict[tuple[str, Period, str], _Loaded] = {}

    def __call__(self, uow: UnitOfWork, *, customer_id: str, period: Period, meter_slug: str,
                 group_filter: Mapping[str, str] | None = None) -> UsageAmount:
        key = (customer_id, period, meter_slug)
        loaded = self._loaded.get(key)
        if loaded is None:
            loaded = self._loaded[key] = _load(uow, customer_ids=[customer_id], period=period, meter_slug=meter_slug,
                                               from_events=self._from_events)
        return _amount(loaded, customer_id, group_filter)


def period_usage(uow: UnitOfWork, *, customer_id: str, period: Period, meter_slug: str,
                 group_filter: Mapping[str, str] | None = None) -> UsageAmount:
    """The meter's aggregation merged over the whole period from rollups (see the module's version rule).
    Unknown or deleted meter → MeterNotFound."""
    return _usage(uow, customer_ids=[customer_id], period=period, meter_slug=meter_slug, group_filter=group_filter,
                  from_events=False)[customer_id]


def period_usage_from_events(uow: UnitOfWork, *, customer_id: str, period: Period, meter_slug: str,
                             group_filter: Mapping[str, str] | None = None) -> UsageAmount:
    """The same quantity recomputed from raw events (for verification). Its digest is over the hourly
    states recomputed from the events: equal to `period_usage`'s when the rollups are right."""
    return _usage(uow, customer_ids=[customer_id], period=period, meter_slug=meter_slug, group_filter=group_filter,
                  from_events=True)[customer_id]


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


