"""The pure core of metering: events → per-hour rollup states, merging states, final quantities.

Never reads the clock or storage. Arithmetic runs in `EXACT` (a Decimal context that traps any
rounding), so a sum is exact or the operation fails loudly; AVG divides in `AVG_CONTEXT`, named.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact, InvalidOperation, Overflow, localcontext
from functools import lru_cache
from typing import Any

import orjson

from tally.audit.canonical import canonical_json
from tally.ingest.jsonexact import dumps_exact, loads_exact
from tally.ingest.model import StoredEvent
from tally.metering.model import (
    NUMERIC_AGGREGATIONS,
    Aggregation,
    MeterReject,
    MeterVersion,
    RollupKey,
    RollupState,
)
from tally.metering.paths import extract, is_missing, number_of, parse_path, text_of

EXACT = Context(prec=400, rounding=ROUND_HALF_EVEN, traps=[Inexact, InvalidOperation, Overflow])
AVG_CONTEXT = Context(prec=34, rounding=ROUND_HALF_EVEN)  # AVG is a quotient: 34 significant digits
ZERO = Decimal(0)
HOUR = timedelta(hours=1)

# A key as a plain tuple on the hot path: (slug, version, customer_id, subject, window_start, group_key).
KeyTuple = tuple[str, int, str, str, datetime, str]


def hour_start(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def day_start(at: datetime) -> datetime:
    """The UTC day's start (daily rollups are UTC days: windows are UTC instants)."""
    return at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def day_end(at: datetime) -> datetime:
    """The first UTC day boundary at or after `at`."""
    start = day_start(at)
    return start if start == at else start + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class CompiledMeter:
    """A meter version with its JSONPaths split once and its facts flattened, for the per-event loop."""

    version: MeterVersion
    value_path: tuple[str, ...] | None
    group_paths: tuple[tuple[str, tuple[str, ...]], ...]
    filters: tuple[tuple[tuple[str, ...], str], ...]
    slug: str = ""
    number: int = 0
    effective_from: datetime | None = None
    numeric: bool = False
    unique: bool = False
    flat_groups: tuple[str, ...] | None = None  # every group path is one segment ($.name): read with dict.get

    @classmethod
    def of(cls, version: MeterVersion) -> CompiledMeter:
        d = version.definition
        groups = tuple((name, parse_path(path)) for name, path in d.group_by)
        return cls(version=version,
                   value_path=parse_path(d.value_property) if d.value_property else None,
                   group_paths=groups,
                   filters=tuple((parse_path(field), expected) for field, expected in d.filter),
                   slug=d.slug, number=version.version, effective_from=version.effective_from,
                   numeric=d.aggregation in NUMERIC_AGGREGATIONS, unique=d.aggregation is Aggregation.UNIQUE_COUNT,
                   flat_groups=tuple(p[0] for _, p in groups) if all(len(p) == 1 for _, p in groups) else None)


def _text_fast(value: Any) -> str | None:
    """`text_of` for a value already read (None when absent): strings pass straight through."""
    return value if type(value) is str else text_of(value)


def group_key_of(groups: Mapping[str, str | None]) -> str:
    """Canonical JSON of the group values: sorted keys, values as text or null."""
    return canonical_json(dict(groups))


class Accumulator:
    """Mutable per-call accumulation of states; lives only inside one function call (or one batch)."""

    __slots__ = ("_group_keys", "distinct", "rejects", "states")

    def __init__(self) -> None:
        # key → [count, sum, min, max, latest, latest_time, latest_seq]
        self.states: dict[KeyTuple, list[Any]] = {}
        self.distinct: dict[KeyTuple, set[str]] = {}
        self.rejects: list[MeterReject] = []
        self._group_keys: dict[tuple[str, int], dict[tuple[str | None, ...], str]] = {}

    def add(self, meters: Sequence[CompiledMeter], events: Iterable[StoredEvent],
            customer_of: Callable[[str, datetime], str | None], *,
            window_of: Callable[[datetime], datetime] = hour_start) -> None:
        """Fold events into the states of every meter version that covers them (hourly windows unless
        `window_of` says otherwise: minute queries use minute windows). The hot loop of ingest: keep it flat."""
        by_type: dict[str, list[tuple[CompiledMeter, dict[tuple[str | None, ...], str]]]] = {}
        for meter in meters:
            cache = self._group_keys.setdefault((meter.slug, meter.number), {})  # per meter: names differ
            by_type.setdefault(meter.version.definition.event_type, []).append((meter, cache))
        states, distinct = self.states, self.distinct
        with localcontext(EXACT):
            for event in events:
                interested = by_type.get(event.event_type)
                if not interested:
                    continue
                data = loads_exact(event.data_json)
                event_time = event.event_time
                window = window_of(event_time)
                customer: str | None = None
                resolved = False
                for meter, group_keys in interested:
                    if meter.effective_from is not None and event_time < meter.effective_from:
                        continue
                    if meter.filters and not all(text_of(extract(data, path)) == expected
                                                 for path, expected in meter.filters):
                        continue
                    number: Decimal | None = None
                    token: str | None = None
                    if meter.value_path is not None:
                        raw = extract(data, meter.value_path)
                        if meter.unique:
                            token = _distinct_token(raw)
                            if token is None:
                                self._reject(event, meter, "value is missing" if is_missing(raw) or raw is None
                                             else f"value is not a scalar: {type(raw).__name__}")
                                continue
                        elif type(raw) is Decimal and raw.is_finite():
                            number = raw
                        else:
                            parsed = number_of(raw)
                            if isinstance(parsed, str):
                                self._reject(event, meter, f"{meter.version.definition.value_property}: {parsed}")
                                continue
                            number = parsed
                    if not resolved:
                        customer = customer_of(event.subject, event_time)
                        resolved = True
                    if meter.group_paths:
                        if meter.flat_groups is not None and type(data) is dict:
                            values = tuple(_text_fast(data.get(name)) for name in meter.flat_groups)
                        else:
                            values = tuple(text_of(extract(data, path)) for _, path in meter.group_paths)
                        group_key = group_keys.get(values)
                        if group_key is None:
                            group_key = group_keys[values] = group_key_of(
                                {name: value for (name, _), value in zip(meter.group_paths, values, strict=True)})
                    else:
                        group_key = "{}"
                    key: KeyTuple = (meter.slug, meter.number, customer or "", event.subject, window, group_key)
                    state = states.get(key)
                    if state is None:
                        state = states[key] = [0, ZERO, None, None, None, None, None]
                    state[0] += 1
                    if number is not None and meter.numeric:
                        state[1] += number
                        low, high = state[2], state[3]
                        if low is None or number < low or (number == low and str(number) < str(low)):
                            state[2] = number
                        if high is None or number > high or (number == high and str(number) < str(high)):
                            state[3] = number
                        if state[5] is None or (event_time, event.seq) > (state[5], state[6]):
                            state[4], state[5], state[6] = number, event_time, event.seq
                    if token is not None:
                        distinct.setdefault(key, set()).add(token)

    def _reject(self, event: StoredEvent, meter: CompiledMeter, reason: str) -> None:
        self.rejects.append(MeterReject(event_seq=event.seq, meter_slug=meter.version.slug,
                                        meter_version=meter.version.version, reason=reason))

    def frozen(self) -> dict[KeyTuple, RollupState]:
        return {k: state_of(v) for k, v in self.states.items()}


def state_of(v: Sequence[Any]) -> RollupState:
    return RollupState(count=v[0], sum=v[1], min=v[2], max=v[3], latest=v[4], latest_time=v[5], latest_seq=v[6])


def _distinct_token(raw: Any) -> str | None:
    """UNIQUE_COUNT values: any scalar, compared by its exact JSON text (1 and "1" differ)."""
    if is_missing(raw) or raw is None or isinstance(raw, dict | list):
        return None
    return dumps_exact(raw)


def merge(a: RollupState, b: RollupState) -> RollupState:
    """Combine two states of the same key: associative, commutative, empty state is the identity."""
    with localcontext(EXACT):
        merged = raw_of(a)
        fold_into(merged, raw_of(b))
    return state_of(merged)


def raw_of(state: RollupState) -> list[Any]:
    """A state as the hot path's mutable list [count, sum, min, max, latest, latest_time, latest_seq]."""
    return [state.count, state.sum, state.min, state.max, state.latest, state.latest_time, state.latest_seq]


def fold_into(into: list[Any], other: Sequence[Any]) -> None:
    """Merge the raw state `other` into `into`, in place: the one merge rule, on lists so that the write
    path (a batch's hours into their days, a batch into the stored rows) builds no records. Equal min or
    max values of different spelling (1.0 vs 1) keep the lexicographically smaller text, and the latest
    value is the one with the greatest (time, seq), so the result never depends on arrival order. The
    caller holds the EXACT context: a sum never rounds."""
    into[0] += other[0]
    into[1] += other[1]
    low = other[2]
    if low is not None:
        held = into[2]
        if held is None or low < held or (low == held and str(low) < str(held)):
            into[2] = low
    high = other[3]
    if high is not None:
        held = into[3]
        if held is None or high > held or (high == held and str(high) < str(held)):
            into[3] = high
    latest_time = other[5]
    if latest_time is not None and (into[5] is None or (latest_time, other[6]) > (into[5], into[6])):
        into[4], into[5], into[6] = other[4], latest_time, other[6]


def _pick(a: Decimal | None, b: Decimal | None, *, lower: bool) -> Decimal | None:
    """min or max; equal values of different spelling (1.0 vs 1) resolve to the lexicographically smaller text, so the
    result never depends on arrival order."""
    if a is None:
        return b
    if b is None:
        return a
    if a == b:
        return a if str(a) <= str(b) else b
    return (a if a < b else b) if lower else (a if a > b else b)


def quantity(aggregation: Aggregation, states: Iterable[RollupState], distinct: Iterable[str] = ()) -> Decimal:
    """The meter's value over some states (the same result as merging them, without building the merged
    records: this runs over every rollup of a query). With no events every aggregation gives 0."""
    if aggregation is Aggregation.UNIQUE_COUNT:
        return Decimal(len(set(distinct)))
    with localcontext(EXACT):
        if aggregation is Aggregation.SUM:
            return sum((s.sum for s in states), ZERO)
        if aggregation is Aggregation.COUNT:
            return Decimal(sum(s.count for s in states))
        if aggregation is Aggregation.AVG:
            total, count = ZERO, 0
            for s in states:
                total += s.sum
                count += s.count
            return AVG_CONTEXT.divide(total, Decimal(count)) if count else ZERO
        if aggregation is Aggregation.MIN or aggregation is Aggregation.MAX:
            lower = aggregation is Aggregation.MIN
            best: Decimal | None = None
            for s in states:
                best = _pick(best, s.min if lower else s.max, lower=lower)
            return best if best is not None else ZERO
        if aggregation is Aggregation.LATEST:
            latest: RollupState | None = None
            for s in states:
                if s.latest_time is not None and (latest is None or (s.latest_time, s.latest_seq or 0) >
                                                  (latest.latest_time, latest.latest_seq or 0)):
                    latest = s
            return latest.latest if latest is not None and latest.latest is not None else ZERO
    raise ValueError(f"unknown aggregation {aggregation!r}")  # pragma: no cover - enum is closed


def key_of(t: KeyTuple) -> RollupKey:
    return RollupKey(meter_slug=t[0], meter_version=t[1], customer_id=t[2], subject=t[3], window_start=t[4],
                     group_key=t[5])


def key_hash(t: KeyTuple) -> str:
    """The stored unique id of a rollup key (32 hex chars): one indexed column to look keys up by."""
    text = f"{t[0]}\x1f{t[1]}\x1f{t[2]}\x1f{t[3]}\x1f{_iso(t[4])}\x1f{t[5]}"
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


@lru_cache(maxsize=65536)
def _iso(window: datetime) -> str:
    return window.isoformat()


def canonical_time(value: datetime | None) -> str | None:
    """`YYYY-MM-DD HH:MM:SS.ffffff` in UTC: how SQLite stores a UtcDateTime, and the digest's spelling."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


def canonical_decimal(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def state_line(key: KeyTuple, state: RollupState, distinct: Iterable[str] = ()) -> list[Any]:
    """One rollup state as the digest sees it (the same text whether it came from a row or from events)."""
    return [key[0], key[1], key[2], key[3], canonical_time(key[4]), key[5], state.count, canonical_decimal(state.sum),
            canonical_decimal(state.min), canonical_decimal(state.max), canonical_decimal(state.latest),
            canonical_time(state.latest_time), state.latest_seq, sorted(distinct)]


def lines_digest(lines: list[list[Any]]) -> str:
    """SHA-256 over the canonical states used, in key order (keys are unique, so sorting never compares
    past the key)."""
    lines.sort()
    return hashlib.sha256(orjson.dumps(lines)).hexdigest()


def states_digest(states: Mapping[KeyTuple, RollupState], distinct: Mapping[KeyTuple, Iterable[str]]) -> str:
    return lines_digest([state_line(k, s, distinct.get(k, ())) for k, s in states.items() if s.count])


def decode_groups(group_key: str) -> dict[str, str | None]:
    return dict(_decoded_groups(group_key))


def group_matches(group_key: str, group_filter: Mapping[str, str] | None) -> bool:
    """Do a rollup's group values satisfy an equality filter (None or empty: every group)?"""
    if not group_filter:
        return True
    groups = decode_groups(group_key)
    return all(groups.get(name) == str(value) for name, value in group_filter.items())


@lru_cache(maxsize=65536)
def _decoded_groups(group_key: str) -> tuple[tuple[str, str | None], ...]:
    parsed = loads_exact(group_key)
    return tuple((str(k), None if v is None else str(v)) for k, v in parsed.items())
