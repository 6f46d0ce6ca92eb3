"""Month-to-date usage for daily revenue recognition: one rollup read per customer and meter.

Recognising usage day by day rates the cumulative quantity from the month's start to the end of each
day. Asking `period_usage` for each of those prefixes reads and merges the same rollups again every day
(days² work per customer and meter); this source reads a customer's rollups of a meter once for the month
and keeps a running merge per group filter, so a month of days costs one pass over the rollups.

Quantities equal `period_usage`'s exactly (the same states merged). The digest differs in form: it is
a SHA-256 chained over each state's text (key, state, distinct values) in window order (a prefix digest),
because recomputing `period_usage`'s key-ordered digest for every prefix is what this source avoids. Recognition does
not store it; invoices keep `period_usage`'s digest. A period that does not start and end on whole hours
of what was loaded goes to `period_usage` unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tally.metering import store
from tally.metering.model import Aggregation, MeterVersion, RollupState, UsageAmount
from tally.metering.rollup import KeyTuple, group_matches, hour_start, merge, quantity
from tally.metering.service import version_in_force
from tally.metering.usage import period_usage
from tally.period import Period
from tally.store.uow import UnitOfWork

SPAN = timedelta(days=31, hours=1)  # a calendar month and a little: what one load covers from its start


@dataclass(slots=True)
class _Running:
    """A prefix of the loaded states (those before `until`) matching one group filter, merged."""

    until: datetime
    index: int = 0
    total: RollupState = field(default_factory=RollupState)
    distinct: set[str] = field(default_factory=set)
    chain: hashlib._Hash = field(default_factory=hashlib.sha256)


@dataclass(slots=True)
class _Loaded:
    version: MeterVersion
    end: datetime
    keys: list[KeyTuple]  # sorted by window start
    states: dict[KeyTuple, RollupState]
    distinct: dict[KeyTuple, set[str]]
    digests: dict[KeyTuple, bytes] = field(default_factory=dict)
    running: dict[tuple[tuple[str, str], ...], _Running] = field(default_factory=dict)

    def digest_of(self, key: KeyTuple) -> bytes:
        digest = self.digests.get(key)
        if digest is None:
            values = sorted(self.distinct.get(key, ()))
            digest = self.digests[key] = repr((key, self.states[key], values)).encode()
        return digest

    def prefix(self, end: datetime, group_filter: Mapping[str, str] | None) -> _Running:
        """The running merge up to `end`, advanced from the last answer (restarted if asked to go back)."""
        filter_key = tuple(sorted((k, str(v)) for k, v in (group_filter or {}).items()))
        running = self.running.get(filter_key)
        if running is None or end < running.until:
            running = self.running[filter_key] = _Running(until=end)
        keys = self.keys
        while running.index < len(keys) and keys[running.index][4] < end:
            key = keys[running.index]
            running.index += 1
            if not group_matches(key[5], group_filter):
                continue
            running.total = merge(running.total, self.states[key])
            running.distinct.update(self.distinct.get(key, ()))
            running.chain.update(self.digest_of(key))
        running.until = end
        return running


class MonthToDateUsage:
    """A `UsageSource` (rating's protocol) for month-to-date periods, asked in ascending order of end.

    Create one per unit of work: it trusts that the rollups do not change while it lives. It keeps one
    customer's rollups at a time (asking customer by customer keeps memory flat in the number of customers).
    """

    def __init__(self) -> None:
        self._loaded: dict[tuple[str, datetime], _Loaded] = {}
        self._customer: str | None = None

    def __call__(self, uow: UnitOfWork, *, customer_id: str, period: Period, meter_slug: str,
                 group_filter: Mapping[str, str] | None = None) -> UsageAmount:
        if hour_start(period.start) != period.start or hour_start(period.end) != period.end:
            return period_usage(uow, customer_id=customer_id, period=period, meter_slug=meter_slug,
                                group_filter=group_filter)
        loaded = self._load(uow, customer_id, meter_slug, period.start)
        if period.end > loaded.end:
            return period_usage(uow, customer_id=customer_id, period=period, meter_slug=meter_slug,
                                group_filter=group_filter)
        running = loaded.prefix(period.end, group_filter)
        return UsageAmount(meter_slug=loaded.version.slug, meter_version=loaded.version.version,
                           quantity=quantity(loaded.version.definition.aggregation, (running.total,),
                                             running.distinct),
                           rollup_digest=running.chain.copy().hexdigest())

    def _load(self, uow: UnitOfWork, customer_id: str, meter_slug: str, start: datetime) -> _Loaded:
        if customer_id != self._customer:
            self._loaded.clear()
            self._customer = customer_id
        loaded = self._loaded.get((meter_slug, start))
        if loaded is None:
            version = version_in_force(uow, meter_slug, start)
            end = start + SPAN
            states = store.select_states(uow.connection, meter_slug=version.slug, meter_version=version.version,
                                         start=start, end=end, customer_ids=[customer_id])
            distinct = (store.select_distinct(uow.connection, states)
                        if version.definition.aggregation is Aggregation.UNIQUE_COUNT else {})
            loaded = self._loaded[(meter_slug, start)] = _Loaded(
                version=version, end=end, keys=sorted(states, key=lambda k: (k[4], k[2], k[3], k[5])),
                states=states, distinct=distinct)
        return loaded
