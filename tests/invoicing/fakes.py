"""Fakes that implement the invoicing ports with realistic rating results.

The fake rater prices `usage[customer]` (instance-hours) with graduated tiers, a platform fee in
advance (next month) and a support fee in arrears, a 10 % discount on usage, a commitment true-up
up to a 50.00 minimum, and up to `credit` of prepaid credit applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from tally.audit.model import Actor
from tally.invoicing.config import BillingConfig, CustomerTerms
from tally.invoicing.ports import Rater
from tally.invoicing.wiring import BillingDeps
from tally.money import Money, Rounding, currency, round_to_minor
from tally.period import Period
from tally.rating.model import CreditDrawdown, LineKind, RatedLine, RatingInputs, RatingResult, RatingStep
from tally.store.uow import UnitOfWork

D = Decimal
TIER_LIMIT = D(100)
TIER1 = D("0.10")
TIER2 = D("0.08")


def next_month(period: Period) -> Period:
    end = period.end
    return Period.month(f"{end.year:04d}-{end.month:02d}")


@dataclass
class OneByOne:
    """A billing batch's ratings for a rater that has no batch path: each customer rated when asked."""

    rater: Rater
    uow: UnitOfWork
    period: Period
    as_of: datetime

    def rate(self, customer_id: str) -> RatingResult:
        return self.rater.rate_customer(self.uow, customer_id=customer_id, period=self.period, as_of=self.as_of)


@dataclass
class FakeRater:
    usage: dict[str, Decimal] = field(default_factory=dict)  # rollups
    event_usage: dict[str, Decimal] = field(default_factory=dict)  # raw events (defaults to rollups)
    credit: dict[str, Decimal] = field(default_factory=dict)
    currency_code: str = "USD"
    fail_for: set[str] = field(default_factory=set)
    price_book: str = "pb-1"
    calls: int = 0
    arrivals: dict[str, list[tuple[datetime, Decimal]]] = field(default_factory=dict)  # late usage, by receipt

    def late(self, customer_id: str, quantity: Decimal, received_at: datetime) -> None:
        """Usage that arrives at `received_at`: ratings as of earlier instants do not see it."""
        self.arrivals.setdefault(customer_id, []).append((received_at, quantity))

    def _quantity(self, customer_id: str, as_of: datetime, source: dict[str, Decimal]) -> Decimal:
        seen = [q for at, q in self.arrivals.get(customer_id, []) if at <= as_of]
        return seen[-1] if seen else source.get(customer_id, self.usage.get(customer_id, D(0)))

    def rate_customers(self, uow: UnitOfWork, *, customer_ids: Sequence[str], period: Period,
                       as_of: datetime) -> OneByOne:
        return OneByOne(self, uow, period, as_of)

    def rate_customer(self, uow: UnitOfWork, *, customer_id: str, period: Period, as_of: datetime) -> RatingResult:
        self.calls += 1
        if customer_id in self.fail_for:
            raise ValueError(f"no contract for {customer_id}")
        return self.result(customer_id, period, self._quantity(customer_id, as_of, self.usage))

    def rate_customer_from_events(self, uow: UnitOfWork, *, customer_id: str, period: Period,
                                  as_of: datetime) -> RatingResult:
        return self.result(customer_id, period, self._quantity(customer_id, as_of, self.event_usage))

    def result(self, customer_id: str, period: Period, quantity: Decimal) -> RatingResult:
        cur = currency(self.currency_code)

        def money(x: Decimal) -> Money:
            return Money(round_to_minor(x, cur, rounding=Rounding.HALF_EVEN), cur)

        first = min(quantity, TIER_LIMIT)
        rest = max(quantity - TIER_LIMIT, D(0))
        steps = (RatingStep(description="first 100 hours", quantity=first, unit_price=TIER1, amount=first * TIER1),
                 RatingStep(description="above 100 hours", quantity=rest, unit_price=TIER2, amount=rest * TIER2))
        usage_amount = money(first * TIER1 + rest * TIER2)
        lines = [
            RatedLine(line_key="usage:instance-hours", kind=LineKind.USAGE, customer_id=customer_id,
                      product_code="compute", description="Instance hours", service_period=period,
                      quantity=quantity, unit="hour", unit_price=None, amount=usage_amount, explanation=steps,
                      price_version_id="pv-compute-1", revenue_category="compute"),
            RatedLine(line_key="fee:platform", kind=LineKind.RECURRING_FEE, customer_id=customer_id,
                      product_code="platform", description="Platform fee (in advance)",
                      service_period=next_month(period), quantity=D(1), unit="month", unit_price=D("20.00"),
                      amount=money(D("20.00")), explanation=(), price_version_id="pv-platform-1",
                      revenue_category="subscription"),
            RatedLine(line_key="fee:support", kind=LineKind.RECURRING_FEE, customer_id=customer_id,
                      product_code="support", description="Support (in arrears)", service_period=period,
                      quantity=D(1), unit="month", unit_price=D("5.00"), amount=money(D("5.00")), explanation=(),
                      price_version_id="pv-support-1", revenue_category="support"),
        ]
        discount = money(-usage_amount.amount * D("0.10"))
        if not discount.is_zero():
            lines.append(RatedLine(
                line_key="discount:usage-10", kind=LineKind.DISCOUNT, customer_id=customer_id, product_code="compute",
                description="10 % off instance hours", service_period=period, quantity=D(1), unit="discount",
                unit_price=None, amount=discount,
                explanation=(RatingStep(description="10 % of usage", quantity=D("0.10"),
                                        unit_price=-usage_amount.amount, amount=discount.amount),),
                price_version_id=None, revenue_category="compute"))
        committed = usage_amount + discount
        if committed.amount < D(50):
            true_up = money(D(50) - committed.amount)
            lines.append(RatedLine(
                line_key="commitment:true-up", kind=LineKind.COMMITMENT_TRUE_UP, customer_id=customer_id,
                product_code="compute", description="Minimum commitment true-up to 50.00", service_period=period,
                quantity=D(1), unit="commitment", unit_price=None, amount=true_up, explanation=(),
                price_version_id=None, revenue_category="compute"))
        drawdowns: tuple[CreditDrawdown, ...] = ()
        available = self.credit.get(customer_id, D(0))
        if available > 0:
            before = sum((line.amount.amount for line in lines), D(0))
            used = min(available, before)
            lines.append(RatedLine(
                line_key="credit:prepaid", kind=LineKind.CREDIT_APPLIED, customer_id=customer_id,
                product_code=None, description="Prepaid credit applied", service_period=period, quantity=D(1),
                unit="credit", unit_price=None, amount=money(-used), explanation=(), price_version_id=None,
                revenue_category="credit"))
            drawdowns = (CreditDrawdown(credit_id=f"cr-{customer_id}", amount=money(used),
                                        remaining=money(available - used)),)
        return RatingResult(
            customer_id=customer_id, currency=cur, billing_period=period, lines=tuple(lines),
            inputs=RatingInputs(contract_version_id=f"cv-{customer_id}-1", price_book_version_id=self.price_book,
                                usage_digest=f"usage-{quantity}", engine_version="fake-1"),
            credit_drawdowns=drawdowns)


@dataclass
class FakeCustomers:
    ids: tuple[str, ...] = ()

    def billable_customers(self, uow: UnitOfWork, *, period: Period) -> tuple[str, ...]:
        return self.ids


@dataclass
class RecordingCredits:
    """Records drawdowns and returns like contracts does: a drawdown is returned at most once."""

    recorded: list[tuple[str, tuple[CreditDrawdown, ...]]] = field(default_factory=list)
    restored: list[tuple[str, str, tuple[CreditDrawdown, ...]]] = field(default_factory=list)  # invoice, note, draws

    def record_credit_drawdowns(self, uow: UnitOfWork, *, invoice_id: str, drawdowns: Sequence[CreditDrawdown],
                                at: datetime) -> None:
        self.recorded.append((invoice_id, tuple(drawdowns)))

    def restore_credit_drawdowns(self, uow: UnitOfWork, *, invoice_id: str, credit_note_id: str, at: datetime,
                                 actor: Actor | None = None) -> int:
        if any(inv == invoice_id for inv, _, _ in self.restored):
            return 0
        draws = tuple(d for inv, ds in self.recorded if inv == invoice_id for d in ds)
        if draws:
            self.restored.append((invoice_id, credit_note_id, draws))
        return len(draws)

    def drawn(self, customer_id: str) -> Decimal:
        """Money drawn by the customer's invoices net of what was returned."""
        prefix = f"cr-{customer_id}"
        out = sum((d.amount.amount for _, ds in self.recorded for d in ds if d.credit_id == prefix), D(0))
        return out - sum((d.amount.amount for _, _, ds in self.restored for d in ds if d.credit_id == prefix), D(0))


NOV = Period.month("2026-11")
OCT = Period.month("2026-10")
DEC_2 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def make_deps(rater: FakeRater | None = None, customers: Sequence[str] = (), *,
              config: BillingConfig | None = None, credits: RecordingCredits | None = None) -> BillingDeps:
    config = config or BillingConfig(
        tax_rates={"DE": D("0.19"), "US-CA": D("0.0725")},
        customers={"acme": CustomerTerms(jurisdiction="DE", payment_terms_days=14),
                   "globex": CustomerTerms(jurisdiction="US-CA")})
    return BillingDeps(rater=rater or FakeRater(), customers=FakeCustomers(tuple(customers)),
                       credits=credits or RecordingCredits(), config=config, tax=config.tax_calculator())
