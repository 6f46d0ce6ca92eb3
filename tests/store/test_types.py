"""Money and quantities survive the round trip exactly on both backends; no REAL columns."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from tally.store.types import ExactDecimal, UtcDateTime
from tests.conftest import TestDatabase


def test_exact_decimal_and_utc_round_trip(db: TestDatabase) -> None:
    meta = MetaData()
    probe = Table("probe_exact", meta, Column("id", Integer, primary_key=True),
                  Column("amount", ExactDecimal), Column("at", UtcDateTime))
    meta.create_all(db.engine)
    values = [Decimal("0.1") + Decimal("0.2"), Decimal("123456789012345678.123456789012"), Decimal("-0.000000000001")]
    at = datetime(2026, 11, 1, 1, 0, tzinfo=timezone(timedelta(hours=1)))
    with db.engine.begin() as c:
        c.execute(insert(probe), [{"id": i, "amount": v, "at": at} for i, v in enumerate(values)])
    with db.engine.connect() as c:
        rows = c.execute(select(probe).order_by(probe.c.id)).all()
    assert [r.amount for r in rows] == values
    assert rows[0].amount == Decimal("0.3")
    assert rows[0].at == datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
    meta.drop_all(db.engine)


def test_no_float_columns_in_schema() -> None:
    from sqlalchemy import Float

    from tally.store.schema import metadata

    floats = [f"{t.name}.{c.name}" for t in metadata.tables.values() for c in t.columns if isinstance(c.type, Float)]
    assert floats == []
