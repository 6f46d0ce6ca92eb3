"""The demo month is deterministic, has exactly the asked number of lines, and is realistic in shape."""

import hashlib
from collections import Counter

import orjson

from tally.demo.generator import EVENT_TYPES, build_world, event_lines
from tally.period import Period

MONTH = Period.month("2026-10")


def _digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    world = build_world(MONTH, customers=40, seed=1)
    first = list(event_lines(world, events=5_000, seed=1))
    again = list(event_lines(build_world(MONTH, customers=40, seed=1), events=5_000, seed=1))
    other = list(event_lines(build_world(MONTH, customers=40, seed=2), events=5_000, seed=2))
    assert _digest(first) == _digest(again)
    assert _digest(first) != _digest(other)


def test_exact_count_with_duplicates_rejects_and_all_dimensions() -> None:
    world = build_world(MONTH, customers=60, seed=3)
    lines = list(event_lines(world, events=30_000, seed=3))
    assert len(lines) == 30_000
    parsed, malformed = [], 0
    for text in lines:
        try:
            parsed.append(orjson.loads(text))
        except orjson.JSONDecodeError:
            malformed += 1
    keys = Counter((e["source"], e["id"]) for e in parsed)
    duplicates = sum(n - 1 for n in keys.values())
    assert duplicates == 300  # 1 % re-sent
    assert malformed + sum(1 for e in parsed if e["id"].startswith("bad-")) == 30_000 // 20_000
    assert set(EVENT_TYPES) <= {e["type"] for e in parsed}
    assert all(MONTH.label in e["time"][:7] or e["id"].startswith("bad-") for e in parsed)


def test_world_is_long_tailed_with_moves_and_orphans() -> None:
    world = build_world(MONTH, customers=300, seed=7)
    assert len(world.customers) == 300
    per_customer = Counter(d.customer_id for d in world.deployments)
    instances = sorted((sum(d.instances for d in world.deployments if d.customer_id == c) for c in per_customer),
                       reverse=True)
    top_decile = sum(instances[: len(instances) // 10])
    assert top_decile > sum(instances) * 0.3  # the biggest tenth runs a large share of the fleet
    assert max(per_customer.values()) > 1
    assert world.moves and world.unmapped_subjects
    assert {c.currency for c in world.customers} == {"USD", "EUR"}
