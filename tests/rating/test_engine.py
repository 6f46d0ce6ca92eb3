"""Worked examples for every contract rule the engine applies (catalog in tests/rating/builders.py).

basic = platform (flat 30.00 in advance) + compute (0.10/h) + search (first 1000 free, then 0.001)
pro   = platform_arrears (flat 30.00 in arrears) + compute + search
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tally.errors import InvariantViolation
from tally.period import Period
from tally.rating.model import LineKind
from tests.rating.builders import amounts, contract, run

NOV = Period.month("2026-11")
HEAD = "id: c1\ncurrency: USD\neffective_from: 2026-01-01T00:00:00Z\n"


def test_self_serve_month_in_advance_fee_bills_the_next_month() -> None:
    c = contract(HEAD + "subscriptions: [{id: s1, plan: basic, start: 2026-01-01T00:00:00Z}]")
    result = run(c, NOV, {"compute": "123.5", "search": "2500"})
    assert amounts(result) == {
        "usage:s1:compute": "12.35",            # 123.5 h × 0.10
        "fee-advance:s1:platform": "30.00",     # December, billed in advance on November's invoice
        "usage:s1:search": "1.50",              # 1500 × 0.001 after 1000 free
    }
    advance = next(ln for ln in result.lines if ln.line_key == "fee-advance:s1:platform")
    assert advance.service_period == Period.month("2026-12")
    assert advance.kind is LineKind.RECURRING_FEE


def test_first_month_in_advance_bills_the_started_part_by_second_and_the_next_month() -> None:
    c = contract(HEAD + "subscriptions: [{id: s1, plan: basic, start: 2026-11-16T00:00:00Z}]")
    result = run(c, NOV, {})
    assert amounts(result)["fee:s1:platform"] == "15.00"  # 15 of 30 days by the second
    assert amounts(result)["fee-advance:s1:platform"] == "30.00"


def test_in_arrears_fee_prorated_by_second_and_by_day() -> None:
    start = "2026-11-10T12:00:00Z"
    by_second = contract(HEAD + f"subscriptions: [{{id: s1, plan: pro, start: {start}}}]")
    # 20.5 of 30 days: 30.00 × 20.5/30 = 20.50
    assert amounts(run(by_second, NOV, {}))["fee:s1:platform_arrears"] == "20.50"
    by_day = contract(HEAD + f"proration: day\nsubscriptions: [{{id: s1, plan: pro, start: {start}}}]")
    # by day the start day counts in full: 21 of 30 days = 21.00
    line = next(ln for ln in run(by_day, NOV, {}).lines if ln.line_key == "fee:s1:platform_arrears")
    assert line.amount.text() == "21.00"
    assert line.explanation[0].description == "prorated by day: 21 of 30 days"


def test_plan_change_mid_period_prorates_both_sides() -> None:
    c = contract(HEAD + "proration: day\nsubscriptions:\n"
                 "  - {id: s1, plan: basic, start: 2026-01-01T00:00:00Z, end: 2026-11-21T00:00:00Z}\n"
                 "  - {id: s2, plan: pro, start: 2026-11-21T00:00:00Z}")
    got = amounts(run(c, NOV, {}))
    assert got["fee-unused:s1:platform"] == "-10.00"      # basic was billed for all November in advance
    assert got["fee:s2:platform_arrears"] == "10.00"      # pro from the 21st: 10 of 30 days
    assert "fee-advance:s1:platform" not in got            # basic has ended: no December fee


def test_override_replaces_the_list_price_with_a_tier_table() -> None:
    c = contract(HEAD + "subscriptions: [{id: s1, plan: basic, start: 2026-01-01T00:00:00Z}]\n"
                 "overrides:\n  compute: {model: volume, currency: USD, tiers: [{up_to: 100, unit_price: '0.09'},"
                 " {up_to: null, unit_price: '0.05'}]}")
    result = run(c, NOV, {"compute": "200"})
    line = next(ln for ln in result.lines if ln.line_key == "usage:s1:compute")
    assert line.amount.text() == "10.00"  # all 200 at the volume rate 0.05
    assert line.price_version_id == "c1@1#override:compute"


def test_discounts_percentage_on_a_product_then_fixed_on_the_total() -> None:
    c = contract(HEAD + "subscriptions: [{id: s1, plan: pro, start: 2026-01-01T00:00:00Z}]\ndiscounts:\n"
                 "  - {id: big, fixed: '5.00', start: 2026-01-01T00:00:00Z}\n"
                 "  - {id: cpu, percentage: '12.5', product: compute, start: 2026-01-01T00:00:00Z}\n"
                 "  - {id: old, percentage: '50', start: 2025-01-01T00:00:00Z, end: 2026-01-01T00:00:00Z}")
    got = amounts(run(c, NOV, {"compute": "100.05"}))
    # compute 10.005 → 10.00 (half even); 12.5 % of 10.00 = 1.25; total 30 + 10 - 1.25 = 38.75; fixed 5
    assert got["usage:s1:compute"] == "10.00"
    assert got["discount:cpu"] == "-1.25"
    assert got["discount:big"] == "-5.00"
    assert "discount:old" not in got  # its range ended before November


def test_commitment_true_up_and_its_proration() -> None:
    c = contract(HEAD + "subscriptions: [{id: s1, plan: pro, start: 2026-01-01T00:00:00Z}]\ncommitments:\n"
                 "  - {id: min, amount: '100.00', start: 2026-01-01T00:00:00Z}")
    assert amounts(run(c, NOV, {"compute": "200"}))["true-up:min"] == "50.00"  # 100 - (30 + 20)
    assert "true-up:min" not in amounts(run(c, NOV, {"compute": "2000"}))      # spent 230 ≥ 100
    late = contract(HEAD + "subscriptions: [{id: s1, plan: pro, start: 2026-01-01T00:00:00Z}]\ncommitments:\n"
                    "  - {id: min, amount: '300.00', start: 2026-11-16T00:00:00Z}")
    assert amounts(run(late, NOV, {}))["true-up:min"] == "120.00"  # 150.00 prorated − 30 spent


def test_unit_credits_then_money_credits_in_priority_then_expiry_order() -> None:
    c = contract(HEAD + "subscriptions: [{id: s1, plan: pro, start: 2026-01-01T00:00:00Z}]\ncredits:\n"
                 "  - {id: late, amount: '20.00', priority: 1, expires_at: 2027-06-01T00:00:00Z}\n"
                 "  - {id: soon, amount: '20.00', priority: 1, expires_at: 2026-12-15T00:00:00Z}\n"
                 "  - {id: first, amount: '5.00', priority: 0}\n"
                 "  - {id: cpu, units: 150, product: compute}\n"
                 "  - {id: gone, amount: '99.00', expires_at: 2026-10-01T00:00:00Z}")
    result = run(c, NOV, {"compute": "200"})
    got = amounts(result)
    assert got["usage:s1:compute"] == "20.00"
    assert got["credit:cpu:s1:compute"] == "-15.00"  # 150 prepaid hours worth 15.00
    # 30 + 20 - 15 = 35 left: first 5, then the earliest expiry 20, then 10 of late
    assert [ln.line_key for ln in result.lines if ln.kind is LineKind.CREDIT_APPLIED] == [
        "credit:cpu:s1:compute", "credit:first", "credit:soon", "credit:late"]
    assert got["credit:late"] == "-10.00"
    assert "credit:gone" not in got  # expired before the period
    assert sum(Decimal(v) for v in got.values()) == 0
    late = next(d for d in result.drawdowns if d.credit_id == "late")
    assert late.remaining.text() == "10.00"
    cpu = next(d for d in result.drawdowns if d.credit_id == "cpu")
    assert (cpu.units, cpu.units_remaining, cpu.amount.text()) == (Decimal(150), Decimal(0), "15.00")


def test_remaining_balances_carry_over_from_earlier_invoices() -> None:
    c = contract(HEAD + "subscriptions: [{id: s1, plan: pro, start: 2026-01-01T00:00:00Z}]\n"
                 "credits: [{id: pre, amount: '100.00'}]")
    result = run(c, NOV, {"compute": "500"}, balances={"pre": Decimal("12.34")})
    assert amounts(result)["credit:pre"] == "-12.34"
    assert result.drawdowns[0].remaining.amount == 0


def test_missing_usage_is_an_invariant_violation_not_zero() -> None:
    from tally.rating.engine import rate
    from tests.rating.builders import catalog

    products, plans, books = catalog()
    c = contract(HEAD + "subscriptions: [{id: s1, plan: pro, start: 2026-01-01T00:00:00Z}]")
    with pytest.raises(InvariantViolation):
        rate(customer_id="c1", period=NOV, contract=c, plans=plans, products=products, price_books=books,
             usage={}, credit_balances={})
