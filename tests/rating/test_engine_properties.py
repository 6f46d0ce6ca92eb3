"""Properties of the rating engine: order-independent, money conserved, credits never below zero
and never drawn twice, proration of a split period sums to the whole."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from tally.contracts.model import ProrationUnit
from tally.contracts.proration import share
from tally.money import Money, Rounding, currency, round_to_minor
from tally.period import Period
from tally.rating.model import LineKind
from tests.rating.builders import contract, run

NOV = Period.month("2026-11")
HEAD = "id: c1\ncurrency: USD\neffective_from: 2026-01-01T00:00:00Z\n"
RICH = HEAD + """subscriptions:
  - {id: s1, plan: basic, start: 2026-01-01T00:00:00Z, end: 2026-11-11T07:00:00Z}
  - {id: s2, plan: pro, start: 2026-11-11T07:00:00Z}
discounts:
  - {id: a, percentage: '7.5', product: compute, start: 2026-01-01T00:00:00Z}
  - {id: b, fixed: '3.33', start: 2026-01-01T00:00:00Z}
commitments:
  - {id: m, amount: '80.00', start: 2026-01-01T00:00:00Z}
credits:
  - {id: c-units, units: 700, product: search}
  - {id: c-one, amount: '25.00', priority: 2}
  - {id: c-two, amount: '40.00', priority: 1, expires_at: 2027-01-01T00:00:00Z}
"""
usage_amounts = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False, allow_infinity=False)
instants = st.integers(min_value=1, max_value=30 * 24 * 3600 - 1).map(
    lambda s: NOV.start + timedelta(seconds=s))


@settings(max_examples=40, deadline=None)
@given(usage_amounts, usage_amounts, st.randoms(use_true_random=False))
def test_rating_is_independent_of_input_order(compute: Decimal, search: Decimal, rnd: object) -> None:
    c = contract(RICH)
    terms = c.terms
    shuffled = dataclasses.replace(terms, **{
        name: tuple(rnd.sample(list(getattr(terms, name)), len(getattr(terms, name))))  # type: ignore[attr-defined]
        for name in ("subscriptions", "discounts", "commitments", "credits", "overrides")})
    usage = {"compute": str(compute), "search": str(search)}
    assert run(c, NOV, usage) == run(dataclasses.replace(c, terms=shuffled), NOV, dict(reversed(usage.items())))


@settings(max_examples=60, deadline=None)
@given(usage_amounts, usage_amounts, st.decimals(min_value=0, max_value=100, places=2))
def test_money_conserved_and_credits_never_below_zero(compute: Decimal, search: Decimal, left: Decimal) -> None:
    c = contract(RICH)
    result = run(c, NOV, {"compute": str(compute), "search": str(search)}, balances={"c-one": left})
    usd = currency("USD")
    total = sum((ln.amount for ln in result.lines), Money.zero(usd))
    assert total.amount >= 0 and total.is_rounded
    credit_lines = sum((-ln.amount.amount for ln in result.lines if ln.kind is LineKind.CREDIT_APPLIED), Decimal(0))
    assert credit_lines == sum((d.amount.amount for d in result.drawdowns), Decimal(0))
    drawn = {d.credit_id: d for d in result.drawdowns if d.kind == "money"}
    assert "c-one" not in drawn or drawn["c-one"].amount.amount <= left
    for d in result.drawdowns:
        assert d.amount.amount >= 0
        assert (d.units_remaining if d.units is not None else d.remaining.amount) >= 0
    for ln in result.lines:
        if ln.kind is LineKind.USAGE:
            assert sum((s.amount for s in ln.explanation), Decimal(0)) == ln.amount.amount


@settings(max_examples=40, deadline=None)
@given(st.lists(usage_amounts, min_size=1, max_size=6))
def test_credits_are_never_drawn_twice_across_periods(monthly: list[Decimal]) -> None:
    """Feeding each month the balances left by the month before, the draws never exceed the grant."""
    c = contract(RICH)
    balances: dict[str, Decimal] = {}
    drawn: dict[str, Decimal] = {}
    month = NOV
    for usage in monthly:
        result = run(c, month, {"compute": str(usage), "search": str(usage * 10)}, balances=balances)
        for d in result.drawdowns:
            amount = d.units if d.units is not None else d.amount.amount
            drawn[d.credit_id] = drawn.get(d.credit_id, Decimal(0)) + amount
            balances[d.credit_id] = d.units_remaining if d.units is not None else d.remaining.amount
        month = Period(month.end, (month.end + timedelta(days=32)).replace(day=1))
    grants = {g.credit_id: g.amount for g in c.terms.credits}
    for credit_id, total in drawn.items():
        assert total <= grants[credit_id]


@settings(deadline=None)
@given(st.lists(instants, max_size=5, unique=True), st.sampled_from(list(ProrationUnit)),
       st.decimals(min_value=0, max_value=10_000, places=2))
def test_proration_of_a_split_period_sums_to_the_whole(cuts: list[datetime], unit: ProrationUnit,
                                                       fee: Decimal) -> None:
    points = [NOV.start, *sorted(cuts), NOV.end]
    parts = [Period(a, b) for a, b in itertools.pairwise(points)]
    shares = [share(p, NOV, unit) for p in parts]
    assert sum((s.fraction for s in shares), Fraction(0)) == 1
    usd = currency("USD")
    rounded = [round_to_minor(fee * s.as_decimal(), usd, rounding=Rounding.HALF_EVEN) for s in shares]
    # rounding once per line moves each part by at most half a cent
    assert abs(sum(rounded, Decimal(0)) - fee) <= Decimal("0.005") * len(parts)


def test_share_refuses_a_part_outside_the_period() -> None:
    import pytest

    from tally.errors import InvariantViolation

    with pytest.raises(InvariantViolation):
        share(Period(NOV.start - timedelta(days=1), NOV.end), NOV, ProrationUnit.SECOND)
    assert share(Period(datetime(2026, 11, 3, 5, tzinfo=UTC), datetime(2026, 11, 3, 9, tzinfo=UTC)), NOV,
                 ProrationUnit.DAY).numerator == 0
