"""Deterministic generator of a demo month of usage for a hosted search and observability cloud.

Pure: the same (month, events, seed) always gives the same customers, deployments, mappings and
event lines, byte for byte. Never reads the clock, never writes files (the caller does).

Customers have a long-tailed size distribution (Pareto); each runs deployments in several regions.
Five usage dimensions: instance-hours by size, data transfer out, snapshot storage, ingest volume,
search requests. A small share of lines are deliberate re-sends (duplicates) and malformed lines
(rejects), so that the pipeline's exactly-once and quarantine paths are exercised.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from tally.period import Period

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
SIZES = ("m5.large", "m5.xlarge", "r6g.2xlarge")
EVENT_TYPES = ("compute.instance.usage", "transfer.egress", "storage.snapshot", "ingest.data", "search.requests")
DUPLICATE_SHARE = 0.01
MALFORMED_EVERY = 20_000


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoCustomer:
    customer_id: str
    name: str
    currency: str
    weight: float  # float-ok: a synthetic size factor for the generator, never money
    enterprise: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoDeployment:
    subject: str
    customer_id: str
    region: str
    size: str
    instances: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoMove:
    """A deployment that moves to another billing account at an instant inside the month."""

    subject: str
    from_customer: str
    to_customer: str
    at_hour: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoWorld:
    month: Period
    customers: tuple[DemoCustomer, ...]
    deployments: tuple[DemoDeployment, ...]
    moves: tuple[DemoMove, ...]
    unmapped_subjects: tuple[str, ...]


ENTERPRISE_IDS = ("cust-ent-001", "cust-ent-002")


def build_world(month: Period, *, customers: int, seed: int) -> DemoWorld:
    """Customers, their deployments, a few mid-month moves and a couple of unmapped deployments."""
    rng = random.Random(f"world:{seed}")
    people: list[DemoCustomer] = []
    for i, cid in enumerate(ENTERPRISE_IDS):
        people.append(DemoCustomer(customer_id=cid, name=f"Enterprise {chr(65 + i)} Corp", currency=("USD", "EUR")[i],
                                   weight=40.0 + 20 * i, enterprise=True))
    for n in range(1, customers - len(ENTERPRISE_IDS) + 1):
        weight = min(rng.paretovariate(1.3), 60.0)
        currency = "EUR" if rng.random() < 0.15 else "USD"
        people.append(DemoCustomer(customer_id=f"cust-{n:04d}", name=f"Customer {n:04d}", currency=currency,
                                   weight=weight, enterprise=False))
    deployments: list[DemoDeployment] = []
    for person in people:
        count = 1 + min(int(person.weight ** 0.5), 5)
        for d in range(count):
            region = REGIONS[(d + rng.randrange(3)) % 3]
            size = SIZES[min(int(rng.random() * person.weight ** 0.3 * 2), len(SIZES) - 1)]
            instances = max(1, int(person.weight * rng.uniform(0.3, 1.2)))
            deployments.append(DemoDeployment(subject=f"dep-{person.customer_id.removeprefix('cust-')}-{d + 1}",
                                              customer_id=person.customer_id, region=region, size=size,
                                              instances=instances))
    self_serve = [d for d in deployments if not d.customer_id.startswith("cust-ent")]
    moves = tuple(
        DemoMove(subject=d.subject, from_customer=d.customer_id,
                 to_customer=self_serve[(i * 7 + 3) % len(self_serve)].customer_id, at_hour=14 * 24 + 6 * i)
        for i, d in enumerate(self_serve[5:8])
        if self_serve[(i * 7 + 3) % len(self_serve)].customer_id != d.customer_id
    )
    return DemoWorld(month=month, customers=tuple(people), deployments=tuple(deployments), moves=moves,
                     unmapped_subjects=("dep-orphan-1", "dep-orphan-2"))


def _decimal_text(milli: int) -> str:
    return f"{milli // 1000}.{milli % 1000:03d}"


def event_lines(world: DemoWorld, *, events: int, seed: int) -> Iterator[str]:
    """Yield exactly `events` NDJSON lines: hourly compute per deployment, sampled other usage,
    deliberate duplicates (re-sent lines) and a few malformed lines."""
    rng = random.Random(f"events:{seed}")
    month = world.month
    hours = int(month.duration / timedelta(hours=1))
    stamps = [(month.start + timedelta(hours=h)).strftime("%Y-%m-%dT%H:") for h in range(hours)]
    subjects = [*world.deployments]
    orphan_region = REGIONS[0]
    duplicates = int(events * DUPLICATE_SHARE)
    malformed = max(1, events // MALFORMED_EVERY)
    originals = events - duplicates - malformed
    compute_budget = min(originals // 2, len(subjects) * hours)
    per_deployment_hours = max(1, compute_budget // max(1, len(subjects)))
    recent: list[str] = []
    emitted = 0
    serial = 0

    def line(etype: str, subject: str, hour: int, data: str) -> str:
        nonlocal serial
        serial += 1
        minute = rng.randrange(60)
        second = rng.randrange(60)
        return (f'{{"specversion":"1.0","id":"evt-{seed}-{serial:08d}","source":"demo/{etype.split(".")[0]}",'
                f'"type":"{etype}","subject":"{subject}","time":"{stamps[hour]}{minute:02d}:{second:02d}Z",'
                f'"data":{data}}}')

    def keep(text: str) -> str:
        if len(recent) < 4096:
            recent.append(text)
        else:
            recent[rng.randrange(4096)] = text
        return text

    # Instance-hours: one event per deployment per hour (the first `per_deployment_hours` hours).
    for dep in subjects:
        for hour in range(min(hours, per_deployment_hours)):
            if emitted >= compute_budget:
                break
            yield keep(line("compute.instance.usage", dep.subject, hour,
                            f'{{"hours":{dep.instances},"size":"{dep.size}","region":"{dep.region}"}}'))
            emitted += 1
    weights = [d.instances for d in subjects]
    others = originals - emitted
    picks = rng.choices(range(len(subjects)), weights=weights, k=others)
    for i, index in enumerate(picks):
        dep = subjects[index]
        hour = rng.randrange(hours)
        kind = i % 4
        if kind == 0:
            data = f'{{"gb":{_decimal_text(rng.randrange(1, 5000) * dep.instances)},"region":"{dep.region}"}}'
            etype = "transfer.egress"
        elif kind == 1:
            gb_hours = _decimal_text(rng.randrange(100, 90000) * dep.instances)
            data = f'{{"gb_hours":"{gb_hours}","region":"{dep.region}"}}'  # a numeric string, read exactly
            etype = "storage.snapshot"
        elif kind == 2:
            data = f'{{"gb":{_decimal_text(rng.randrange(10, 20000) * dep.instances)},"region":"{dep.region}"}}'
            etype = "ingest.data"
        else:
            data = f'{{"requests":{rng.randrange(100, 50000) * dep.instances},"region":"{dep.region}"}}'
            etype = "search.requests"
        subject = dep.subject if i % 5000 else world.unmapped_subjects[(i // 5000) % 2]
        if subject != dep.subject:
            data = f'{{"requests":{rng.randrange(100, 5000)},"region":"{orphan_region}"}}'
            etype = "search.requests"
        yield keep(line(etype, subject, hour, data))
        if duplicates and rng.random() < duplicates / max(1, others - i):
            duplicates -= 1
            yield rng.choice(recent)
    for _ in range(duplicates):
        yield rng.choice(recent)
    head = '{"specversion":"1.0","source":"demo/bad","type":"search.requests",'
    bad = (
        head + '"id":"bad-1","time":"2026-01-01T00:00:00Z","data":{}}',  # no subject
        head + '"id":"bad-2","subject":"dep-x","time":"not a time","data":{}}',
        head + '"id":"bad-3","subject":"dep-x","time":"2026-01-01T00:00:00Z","data":[1,2]}',  # data not an object
        '{"specversion":"1.0", this is not json',
    )
    for i in range(malformed):
        yield bad[i % len(bad)].replace('"bad-', f'"bad-{i}-')
