"""rate_customer on SQLite and PostgreSQL with the demo catalog and a fake usage source."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tally.audit.model import Actor
from tally.catalog.service import apply_catalog
from tally.clock import FixedClock
from tally.contracts.errors import ContractNotFound
from tally.contracts.service import NewCustomer, record_credit_drawdowns, subscribe_customers
from tally.period import Period
from tally.rating.engine import ENGINE_VERSION
from tally.rating.errors import UsageSourceNotWired
from tally.rating.model import LineKind
from tally.rating.service import rate_customer, rate_customer_from_events
from tests.conftest import TestDatabase
from tests.rating.fakes import FakeUsage

DEMO = (Path(__file__).parents[2] / "src" / "tally" / "demo" / "catalog.yaml").read_text()
ACTOR = Actor.cli_user("tester")
NOV = Period.month("2026-11")


@pytest.fixture
def demo(db: TestDatabase, clock: FixedClock) -> TestDatabase:
    apply_catalog(db.uow_factory, DEMO, actor=ACTOR, clock=clock)
    subscribe_customers(db.uow_factory, [NewCustomer(customer_id="cust-0001", plan_code="self-serve",
                                                     start=datetime(2026, 10, 1, tzinfo=UTC))],
                        actor=ACTOR, clock=clock)
    return db


def lines(result: object) -> dict[str, str]:
    return {ln.line_key: ln.amount.text() for ln in result.lines}  # type: ignore[attr-defined]


def test_self_serve_customer(demo: TestDatabase, clock: FixedClock) -> None:
    usage = (FakeUsage().set("cust-0001", "instance_hours", "720", size="m5.large")
             .set("cust-0001", "egress_gb", "350.5").set("cust-0001", "search_requests", "25001")
             .set("cust-0001", "ingest_gb", "1200").set("cust-0001", "snapshot_gb_hours", "73000"))
    with demo.uow_factory() as uow:
        result = rate_customer(uow, customer_id="cust-0001", period=NOV, as_of=clock.now(), usage=usage)
    assert lines(result) == {
        "usage:main:compute_m5_large": "69.12",     # 720 h × 0.096
        "usage:main:compute_m5_xlarge": "0.00",
        "usage:main:compute_r6g_2xlarge": "0.00",
        "usage:main:egress": "22.54",               # 100 free, 250.5 × 0.09 = 22.545 → 22.54 (half-even)
        "usage:main:ingest": "535.00",              # 950 × 0.50 + 200 × 0.25 + 10 flat
        "fee-advance:main:platform_fee": "49.00",   # December in advance
        "usage:main:search": "6.40",                # 25001 − 10000 included → 16 started packages × 0.40
        "usage:main:snapshot_storage": "5.00",      # 73000 GB-h × 0.000068493151 = 4.99999…
    }
    assert result.inputs.contract_version_id == "cust-0001@1"
    assert result.inputs.price_book_version_id == "list-usd@1"
    assert result.inputs.engine_version == ENGINE_VERSION
    assert ("cust-0001", "instance_hours", NOV, (("size", "m5.large"),)) in usage.calls
    with demo.uow_factory() as uow:
        again = rate_customer(uow, customer_id="cust-0001", period=NOV, as_of=clock.now(), usage=usage)
        other = rate_customer_from_events(uow, customer_id="cust-0001", period=NOV, as_of=clock.now(), usage=usage)
    assert again == result == other
    usage.set("cust-0001", "egress_gb", "350.6")
    with demo.uow_factory() as uow:
        changed = rate_customer(uow, customer_id="cust-0001", period=NOV, as_of=clock.now(), usage=usage)
    assert changed.inputs.usage_digest != result.inputs.usage_digest


def test_enterprise_contract_with_overrides_commitment_credits_and_discount(demo: TestDatabase,
                                                                            clock: FixedClock) -> None:
    usage = (FakeUsage().set("cust-ent-001", "instance_hours", "10000", size="m5.large")
             .set("cust-ent-001", "egress_gb", "5100").set("cust-ent-001", "search_requests", "6000000")
             .set("cust-ent-001", "ingest_gb", "2000"))
    with demo.uow_factory() as uow:
        result = rate_customer(uow, customer_id="cust-ent-001", period=NOV, as_of=clock.now(), usage=usage)
    got = lines(result)
    assert got["usage:ent:compute_m5_large"] == "800.00"       # override 0.080
    assert got["usage:ent:ingest"] == "600.00"                 # negotiated tiers: 1000 × 0.40 + 1000 × 0.20
    assert got["usage:ent:egress"] == "450.00"                 # 5000 × 0.09
    assert got["discount:egress-2026"] == "-45.00"             # 10 % on egress
    assert got["usage:ent:search"] == "2396.00"                # (6,000,000 − 10,000) / 1000 × 0.40
    assert got["credit:search-bundle:ent:search"] == "-2000.00"  # 5,000,000 prepaid requests
    assert got["fee:ent:enterprise_support"] == "1500.00"
    # spend before prepaid credits: 800 + 600 + 450 − 45 + 2396 + 1500 = 5701 ≥ 5000: no true-up
    assert "true-up:min-spend-2026" not in got
    assert got["credit:prepaid-2026"] == "-3701.00"
    assert sum(ln.amount.amount for ln in result.lines) == 0
    with demo.uow_factory() as uow:
        record_credit_drawdowns(uow, invoice_id="inv-nov", drawdowns=result.credit_drawdowns, at=clock.now())
        uow.commit()
    clock.advance(timedelta(days=20))
    with demo.uow_factory() as uow:
        december = rate_customer(uow, customer_id="cust-ent-001", period=Period.month("2026-12"), as_of=clock.now(),
                                 usage=usage)
        replay = rate_customer(uow, customer_id="cust-ent-001", period=NOV, as_of=clock.now() - timedelta(days=20),
                               usage=usage)
    dec = lines(december)
    assert dec["credit:prepaid-2026"] == "-5701.00"          # 6,299 left of 10,000 covers December's 5,701
    assert december.credit_drawdowns[-1].remaining.text() == "598.00"
    assert "credit:search-bundle:ent:search" not in dec       # all 5,000,000 units used in November
    assert replay == result                                    # as of November: the same answer


def test_plan_change_mid_month_in_eur(demo: TestDatabase, clock: FixedClock) -> None:
    with demo.uow_factory() as uow:
        result = rate_customer(uow, customer_id="cust-ent-002", period=NOV, as_of=clock.now(), usage=FakeUsage())
    got = lines(result)
    assert result.currency.code == "EUR"
    assert got["fee-unused:trial:platform_fee"] == "-22.50"   # self-serve ended on the 16th: 15 of 30 days back
    assert got["fee:ent:enterprise_support"] == "700.00"      # enterprise from the 16th: 15 of 30 days
    assert got["discount:welcome"] == "-250.00"
    assert got["true-up:min-spend"] == "572.50"               # 1000.00 prorated − (−22.50 + 700 − 250)
    assert "credit:migration-credit" not in got               # expired in October


def test_the_advance_fee_for_january_uses_the_january_price(demo: TestDatabase, clock: FixedClock) -> None:
    with demo.uow_factory() as uow:
        december = rate_customer(uow, customer_id="cust-0001", period=Period.month("2026-12"), as_of=clock.now(),
                                 usage=FakeUsage())
    fee = next(ln for ln in december.lines if ln.line_key == "fee-advance:main:platform_fee")
    assert (fee.amount.text(), fee.price_version_id) == ("59.00", "list-usd@2")  # list-usd v2 from 2027-01-01
    assert december.inputs.price_book_version_id == "list-usd@1,list-usd@2"


def test_errors(demo: TestDatabase, clock: FixedClock) -> None:
    with demo.uow_factory() as uow:
        with pytest.raises(ContractNotFound):
            rate_customer(uow, customer_id="nobody", period=NOV, as_of=clock.now(), usage=FakeUsage())
        wired = rate_customer(uow, customer_id="cust-0001", period=NOV, as_of=clock.now())  # metering: no events yet
        assert [ln.quantity for ln in wired.lines if ln.kind is LineKind.USAGE] == [0] * 7


def test_without_metering_rating_says_so(demo: TestDatabase, clock: FixedClock,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = importlib.import_module

    def without_metering(name: str, *args: object) -> object:
        if name == "tally.metering.usage":
            raise ModuleNotFoundError(name)
        return real_import(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr("tally.rating.usage_source.importlib.import_module", without_metering)
    with demo.uow_factory() as uow, pytest.raises(UsageSourceNotWired):
        rate_customer(uow, customer_id="cust-0001", period=NOV, as_of=clock.now())
