"""Properties of rollups: arrival order, batch splits and duplicate sends never change the result;
merging partial states equals aggregating the union; sums are exact."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tally.ingest.model import StoredEvent
from tally.metering.definitions import parse_meters
from tally.metering.model import MeterVersion, RollupState
from tally.metering.rollup import Accumulator, CompiledMeter, KeyTuple, merge, quantity
from tally.metering.service import verify
from tally.period import Period
from tally.store.engine import build_engine
from tally.store.schema.metering import meter_distinct_values, meter_rollups
from tally.store.uow import UnitOfWorkFactory
from tests.metering.builders import define, event, ingest, map_subject

T0 = datetime(2026, 10, 1, tzinfo=UTC)
DEFS = [{"slug": "s", "eventType": "t", "aggregation": "SUM", "valueProperty": "$.v", "groupBy": {"r": "$.r"}},
        {"slug": "u", "eventType": "t", "aggregation": "UNIQUE_COUNT", "valueProperty": "$.v"},
        {"slug": "l", "eventType": "t", "aggregation": "LATEST", "valueProperty": "$.v"}]
VERSIONS = tuple(CompiledMeter.of(MeterVersion(meter_id="0" * 26, version=1, definition=d, effective_from=None,
                                               created_at=T0, updated_at=T0, deleted_at=None, digest=""))
                 for d in parse_meters(DEFS))

values = st.sampled_from(["0.1", "0.2", "0.10", "1", "1.0", "-3.25", "\"7.5\"", "12345678901234567890.000001",
                          "\"x\"", "null"])
raw_events = st.lists(st.tuples(st.integers(0, 3 * 60 - 1), st.sampled_from(["a", "b", "orphan"]), values,
                                st.sampled_from(["eu", "us"])), min_size=1, max_size=40)


def _stored(items: list[tuple[int, str, str, str]]) -> list[StoredEvent]:
    return [StoredEvent(seq=i + 1, source="p", event_id=str(i), event_type="t", subject=subject,
                        event_time=T0 + timedelta(minutes=minute), received_at=T0,
                        data_json=f'{{"v": {value}, "r": "{region}"}}')
            for i, (minute, subject, value, region) in enumerate(items)]


def _customer(subject: str, at: datetime) -> str | None:
    return None if subject == "orphan" else f"c-{subject}"


def _fold(batches: list[list[StoredEvent]]) -> tuple[dict[KeyTuple, RollupState], dict[KeyTuple, set[str]]]:
    """Fold batches one at a time and merge their states, as the observer does across transactions."""
    states: dict[KeyTuple, RollupState] = {}
    distinct: dict[KeyTuple, set[str]] = {}
    for batch in batches:
        acc = Accumulator()
        acc.add(VERSIONS, batch, _customer)
        for key, state in acc.frozen().items():
            states[key] = merge(states[key], state) if key in states else state
        for key, found in acc.distinct.items():
            distinct.setdefault(key, set()).update(found)
    return states, distinct


@given(raw_events, st.randoms(use_true_random=False), st.integers(1, 10))
def test_order_and_batch_split_do_not_matter(items: list[tuple[int, str, str, str]], rng: object,
                                             batch_events: int) -> None:
    events = _stored(items)
    whole = _fold([events])
    shuffled = list(events)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    batches = [shuffled[i:i + batch_events] for i in range(0, len(shuffled), batch_events)]
    assert _fold(batches) == whole


state_strategy = st.builds(
    lambda n, vals, t: RollupState(count=n, sum=sum(vals, Decimal(0)), min=min(vals) if vals else None,
                                   max=max(vals) if vals else None, latest=vals[-1] if vals else None,
                                   latest_time=T0 + timedelta(seconds=t) if vals else None,
                                   latest_seq=t if vals else None),
    st.integers(0, 5), st.lists(st.decimals(allow_nan=False, allow_infinity=False, places=3), max_size=4),
    st.integers(0, 1000))


@given(state_strategy, state_strategy, state_strategy)
def test_merge_is_associative_and_commutative_with_identity(a: RollupState, b: RollupState, c: RollupState) -> None:
    assert merge(merge(a, b), c) == merge(a, merge(b, c))
    assert merge(a, b).count == merge(b, a).count and merge(a, b).sum == merge(b, a).sum
    assert merge(a, RollupState()) == a == merge(RollupState(), a)


@given(raw_events, st.integers(1, 39))
def test_merging_partial_states_equals_aggregating_the_union(items: list[tuple[int, str, str, str]],
                                                            cut: int) -> None:
    events = _stored(items)
    first, second = _fold([events[:cut]]), _fold([events[cut:]])
    union = _fold([events])
    for aggregation, slug in (("SUM", "s"), ("LATEST", "l")):
        from tally.metering.model import Aggregation

        merged = quantity(Aggregation(aggregation), [*(v for k, v in first[0].items() if k[0] == slug),
                                                     *(v for k, v in second[0].items() if k[0] == slug)])
        assert merged == quantity(Aggregation(aggregation), [v for k, v in union[0].items() if k[0] == slug])


def test_point_one_plus_point_two_is_exactly_point_three() -> None:
    states, _ = _fold([_stored([(0, "a", "0.1", "eu"), (1, "a", "0.2", "eu")])])
    total = [v.sum for k, v in states.items() if k[0] == "s"]
    assert total == [Decimal("0.3")] and str(total[0]) == "0.3"


# LATEST breaks a tie in event time by seq (arrival order): the one arrival-dependent rule, so the
# stored-rollup property uses distinct event times.
distinct_times = st.lists(st.tuples(st.integers(0, 3 * 60 - 1), st.sampled_from(["a", "b", "orphan"]), values,
                                    st.sampled_from(["eu", "us"])), min_size=1, max_size=40, unique_by=lambda t: t[0])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(distinct_times, st.randoms(use_true_random=False), st.integers(1, 15), st.integers(0, 3))
def test_stored_rollups_do_not_depend_on_order_batches_or_resends(
        sqlite_template: Path, tmp_path: Path, items: list[tuple[int, str, str, str]], rng: object,
        batch_events: int, resends: int) -> None:
    """Through the real observer and SQLite: ingest dedups on (source, id) so a re-send never reaches
    the observer; any order and any batch split store identical rollups, and verify finds nothing."""
    specs = [(f"id-{i}", m, s, v, r) for i, (m, s, v, r) in enumerate(items)]

    def run(order: list[tuple[str, int, str, str, str]], size: int) -> tuple[list[tuple[object, ...]], object]:
        path = tmp_path / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(sqlite_template, path)
        engine = build_engine(f"sqlite:///{path}")
        uow_factory = UnitOfWorkFactory(engine)
        define(uow_factory, *DEFS)
        map_subject(uow_factory, "a", "c-a", T0)
        map_subject(uow_factory, "b", "c-b", T0)
        seen: set[str] = set()
        for i in range(0, len(order), size):
            fresh = []
            for spec in order[i:i + size]:  # ingest's dedup: only events never stored reach the observer
                if spec[0] not in seen:
                    seen.add(spec[0])
                    fresh.append(spec)
            ingest(uow_factory, [event("t", s, T0 + timedelta(minutes=m), f'{{"v": {v}, "r": "{r}"}}', event_id=eid)
                                 for eid, m, s, v, r in fresh])
        with engine.connect() as connection:
            rows = sorted(tuple(r) for r in connection.execute(select(meter_rollups)))
            rows += sorted(tuple(r) for r in connection.execute(select(meter_distinct_values)))
        report = verify(uow_factory, period_or_range=Period(T0, T0 + timedelta(hours=3)))
        engine.dispose()
        return [r[1:] if len(r) > 2 else r for r in rows], report

    baseline, report = run(specs, len(specs))
    assert report.ok  # type: ignore[attr-defined]
    shuffled = list(specs) + [rng.choice(specs) for _ in range(resends)]  # type: ignore[attr-defined]
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    other, report = run(shuffled, batch_events)
    assert report.ok  # type: ignore[attr-defined]
    assert _without_seq(other) == _without_seq(baseline)


def _without_seq(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """Event seqs differ between runs (arrival order); LATEST's tie-break seq is compared via time+value."""
    return sorted(tuple(v for j, v in enumerate(r) if not (len(r) > 10 and j == len(r) - 1)) for r in rows)
