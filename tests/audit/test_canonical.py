"""Canonical JSON is what every stored digest was computed from: its bytes for a given value never change,
or documents issued earlier would no longer verify."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from types import MappingProxyType

from hypothesis import given
from hypothesis import strategies as st

from tally.audit.canonical import canonical_json, digest


class Kind(StrEnum):
    USAGE = "usage"


class Level(Enum):
    HIGH = 3


@dataclass(frozen=True)
class Inner:
    amount: Decimal
    at: datetime


@dataclass(frozen=True)
class Outer:
    name: str
    kind: Kind
    level: Level
    inner: Inner
    tags: frozenset[str]
    pair: tuple[int, Decimal]
    extra: object
    day: date


SAMPLE = Outer(name="n", kind=Kind.USAGE, level=Level.HIGH,
               inner=Inner(amount=Decimal("1.50"), at=datetime(2026, 10, 1, 12, 30, 0, 5, tzinfo=UTC)),
               tags=frozenset({"b", "a"}), pair=(1, Decimal("0.10")),
               extra=MappingProxyType({"z": 1, "a": Decimal("1E+2")}), day=date(2026, 10, 31))


def test_the_bytes_of_a_value_are_pinned() -> None:
    assert canonical_json(SAMPLE) == (
        '{"day":"2026-10-31","extra":{"a":"100","z":1},"inner":{"amount":"1.50",'
        '"at":"2026-10-01T12:30:00.000005+00:00"},"kind":"usage","level":3,"name":"n","pair":[1,"0.10"],'
        '"tags":["a","b"]}')
    assert digest(SAMPLE) == "07f13dd7dbf9f536ee7f2662f85bf75fa7bdbef9baa464ee0f47696a23ceb475"


@given(st.lists(st.tuples(st.decimals(allow_nan=False, allow_infinity=False), st.text(max_size=5)), max_size=5))
def test_a_dataclass_is_written_as_the_mapping_of_its_fields(items: list[tuple[Decimal, str]]) -> None:
    """Decimals keep their exact spelling as strings; a dataclass reads like the dict of its fields,
    the first time its type is seen and every time after."""
    values = [Inner(amount=amount, at=datetime(2026, 1, 1, tzinfo=UTC)) for amount, _ in items]
    as_dicts = [{"amount": format(v.amount, "f"), "at": "2026-01-01T00:00:00+00:00"} for v in values]
    assert canonical_json(values) == canonical_json(as_dicts) == canonical_json(values)
