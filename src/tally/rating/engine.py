"""The rating engine: (metered quantities, contract version, price book versions, period, credit
balances) → rated lines with explanations. Pure and deterministic: no I/O, no clock, and the
result does not depend on the order of any input.

Order of lines for one customer and period:
1. per subscription (by start, id), per plan product (by code): a usage line (metered products)
   or recurring fee lines (fee products: prorated; in advance or in arrears);
2. prepaid credits in units, on the usage line of their product (priority, then expiry);
3. product discounts, then discounts on the total;
4. minimum-spend commitment true-ups (spend = everything above, before prepaid credits);
5. prepaid money credits (priority, then expiry), never taking the total below zero.
Every line is rounded once, to the currency's minor unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tally.catalog.model import FeeTiming, FlatPrice, Plan, Price, PriceBookVersion, Product
from tally.contracts.model import (
    ContractVersion,
    CreditGrant,
    CreditKind,
    DiscountKind,
    Subscription,
    active,
    add_months,
)
from tally.contracts.proration import share
from tally.errors import InvariantViolation
from tally.money import Money, Rounding, round_to_minor, sum_money
from tally.period import Period
from tally.rating.model import CreditDrawdown, LineKind, RatedLine, RatingStep
from tally.rating.models.base import ZERO, fmt, step
from tally.rating.pricing import price_quantity

ENGINE_VERSION = "tally-rating/1"
_ONE = Decimal(1)
_HUNDRED = Decimal(100)
_MONEY_ROUNDING = Rounding.HALF_EVEN  # discounts, commitments: the default rule


@dataclass(frozen=True, slots=True, kw_only=True)
class UsageRequest:
    """One quantity the engine needs: a meter (and group filter) over the part of the period covered."""

    subscription_id: str
    product_code: str
    meter_slug: str
    group_filter: tuple[tuple[str, str], ...]
    period: Period

    @property
    def key(self) -> tuple[str, str]:
        return (self.subscription_id, self.product_code)


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineResult:
    lines: tuple[RatedLine, ...]
    drawdowns: tuple[CreditDrawdown, ...]


def next_period(period: Period) -> Period:
    """The billing period after `period`: one month on for monthly periods (calendar or anchored on a
    day of month), otherwise one of the same length."""
    start, end = period.start, period.end
    if start.day == end.day and start.time() == end.time() and start.day <= 28 and add_months(start, 1) == end:
        return Period(end, add_months(end, 1))
    return Period(end, end + period.duration)


def _subscriptions(contract: ContractVersion) -> tuple[Subscription, ...]:
    return tuple(sorted(contract.terms.subscriptions, key=lambda s: (s.start, s.subscription_id)))


def usage_requests(*, contract: ContractVersion, plans: Mapping[str, Plan], products: Mapping[str, Product],
                   period: Period) -> tuple[UsageRequest, ...]:
    """Which metered quantities rating `contract` over `period` needs."""
    out: list[UsageRequest] = []
    for sub in _subscriptions(contract):
        covered = sub.covered(period)
        if covered is None:
            continue
        for code in sorted(_plan(plans, sub).products):
            product = products[code]
            if product.meter_slug is not None:
                out.append(UsageRequest(subscription_id=sub.subscription_id, product_code=code,
                                        meter_slug=product.meter_slug, group_filter=product.group_filter,
                                        period=covered))
    return tuple(out)


def _plan(plans: Mapping[str, Plan], sub: Subscription) -> Plan:
    plan = plans.get(sub.plan_code)
    if plan is None:
        raise InvariantViolation(f"plan {sub.plan_code!r} of subscription {sub.subscription_id} is not loaded")
    return plan


def _credit_order(c: CreditGrant) -> tuple[int, int, datetime, str]:
    return (c.priority, c.expires_at is None, c.expires_at or c.granted_at, c.credit_id)


def rate(
    *,
    customer_id: str,
    period: Period,
    contract: ContractVersion,
    plans: Mapping[str, Plan],
    products: Mapping[str, Product],
    price_books: Mapping[str, PriceBookVersion],
    usage: Mapping[tuple[str, str], Decimal],
    credit_balances: Mapping[str, Decimal],
    next_price_books: Mapping[str, PriceBookVersion] | None = None,
) -> EngineResult:
    """Rate one customer's period. `usage` is keyed by (subscription id, product code) as in
    `usage_requests`; `credit_balances` are what is left of each credit before this period
    (a credit missing from it has its full granted amount). `price_books` are the versions in
    force at the period start; `next_price_books` those at the next period's start, which price
    fees billed in advance for the next period (default: the same)."""
    terms = contract.terms
    cur = terms.currency
    lines: list[RatedLine] = []

    def line(*, key: str, kind: LineKind, product: Product | None, description: str, service: Period,
             quantity: Decimal, amount: Money, steps: tuple[RatingStep, ...], unit_price: Decimal | None = None,
             price_version_id: str | None = None) -> RatedLine:
        if amount.currency != cur or not amount.is_rounded:
            raise InvariantViolation(f"line {key}: amount {amount.amount} {amount.currency} is not rounded {cur}")
        made = RatedLine(line_key=key, kind=kind, customer_id=customer_id,
                         product_code=None if product is None else product.code, description=description,
                         service_period=service, quantity=quantity, unit="" if product is None else product.unit,
                         unit_price=unit_price, amount=amount, explanation=steps, price_version_id=price_version_id,
                         revenue_category="general" if product is None else product.revenue_category)
        lines.append(made)
        return made

    def price_of(sub: Subscription, code: str, books: Mapping[str, PriceBookVersion]) -> tuple[Price, str]:
        override = terms.override_for(code)
        if override is not None:
            return override, f"{contract.version_id}#override:{code}"
        plan = _plan(plans, sub)
        book_code = plan.price_book_for(cur.code)
        book = books.get(book_code or "")
        if book is None:
            raise InvariantViolation(f"no {cur.code} price book version in force for plan {plan.code}")
        price = book.price_for(code)
        if price is None or price.currency != cur:
            raise InvariantViolation(f"{book.version_id} has no {cur.code} price for {code}")
        return price, book.version_id

    usage_lines: list[tuple[RatedLine, Price, Decimal]] = []
    upcoming = next_period(period)
    for sub in _subscriptions(contract):
        plan = _plan(plans, sub)
        for code in sorted(plan.products):
            product = products[code]
            price, version_id = price_of(sub, code, price_books)
            covered = sub.covered(period)
            if product.is_metered:
                if covered is None:
                    continue
                quantity = usage.get((sub.subscription_id, code))
                if quantity is None:
                    raise InvariantViolation(f"no usage given for {sub.subscription_id}/{code}")
                priced = price_quantity(price, quantity)
                made = line(key=f"usage:{sub.subscription_id}:{code}", kind=LineKind.USAGE, product=product,
                            description=f"{product.name} ({plan.name})", service=covered, quantity=quantity,
                            amount=priced.amount, steps=priced.explanation, price_version_id=version_id,
                            unit_price=getattr(price, "unit_price", None))
                usage_lines.append((made, price, quantity))
                continue
            if not isinstance(price, FlatPrice):
                raise InvariantViolation(f"fee product {code} needs a flat price, {version_id} has {price.model}")
            # (key, part, whole, label, price, price version)
            fees: list[tuple[str, Period, Period, str, FlatPrice, str]] = []
            if price.timing is FeeTiming.IN_ARREARS:
                if covered is not None:
                    fees.append((f"fee:{sub.subscription_id}:{code}", covered, period, "in arrears", price,
                                 version_id))
            else:
                if covered is not None and sub.start >= period.start:  # first period: not billed before
                    fees.append((f"fee:{sub.subscription_id}:{code}", covered, period, "in advance, first period",
                                 price, version_id))
                ahead = sub.covered(upcoming)
                if ahead is not None:
                    next_price, next_version = price_of(sub, code, next_price_books or price_books)
                    if not isinstance(next_price, FlatPrice):
                        raise InvariantViolation(f"fee product {code} needs a flat price in {next_version}")
                    fees.append((f"fee-advance:{sub.subscription_id}:{code}", ahead, upcoming, "in advance",
                                 next_price, next_version))
            for key, part, whole, label, fee_price, fee_version in fees:
                portion = share(part, whole, terms.proration)
                priced = price_quantity(fee_price, _ONE if portion.is_whole else portion.as_decimal())
                steps = priced.explanation
                if not portion.is_whole:
                    steps = (step(f"prorated by {terms.proration.value}: {portion.describe()}",
                                  quantity=portion.as_decimal(), unit_price=ZERO, amount=ZERO), *steps)
                line(key=key, kind=LineKind.RECURRING_FEE, product=product,
                     description=f"{product.name} ({plan.name}, {label})", service=part,
                     quantity=portion.as_decimal() if not portion.is_whole else _ONE, amount=priced.amount,
                     steps=steps, unit_price=fee_price.amount, price_version_id=fee_version)
            if price.timing is FeeTiming.IN_ADVANCE and sub.start < period.start and sub.end is not None \
                    and period.contains(sub.end):
                unused = Period(sub.end, period.end)
                portion = share(unused, period, terms.proration)
                if portion.numerator:
                    refund = price_quantity(price, portion.as_decimal())
                    line(key=f"fee-unused:{sub.subscription_id}:{code}", kind=LineKind.RECURRING_FEE,
                         product=product, description=f"{product.name} ({plan.name}): unused part, billed in "
                         "advance", service=unused, quantity=-portion.as_decimal(), amount=-refund.amount,
                         steps=(step(f"subscription ended {sub.end.isoformat()}: {portion.describe()} not used",
                                     quantity=-portion.as_decimal(), unit_price=price.amount,
                                     amount=-refund.amount.amount),), unit_price=price.amount,
                         price_version_id=version_id)

    balances = {c.credit_id: credit_balances.get(c.credit_id, c.amount) for c in terms.credits}
    drawdowns: list[CreditDrawdown] = []
    unit_credits = sorted((c for c in terms.credits if c.kind is CreditKind.UNITS and c.usable_in(period)),
                          key=_credit_order)
    for usage_line, price, quantity in usage_lines:
        left = quantity
        before = usage_line.amount
        for credit in unit_credits:
            if credit.product_code != usage_line.product_code or left <= 0 or balances[credit.credit_id] <= 0:
                continue
            units = min(balances[credit.credit_id], left)
            after = price_quantity(price, left - units).amount
            value = before - after
            balances[credit.credit_id] -= units
            left -= units
            before = after
            key = f"credit:{credit.credit_id}:{usage_line.line_key.removeprefix('usage:')}"
            line(key=key, kind=LineKind.CREDIT_APPLIED, product=products[usage_line.product_code or ""],
                 description=f"prepaid units {credit.credit_id}", service=usage_line.service_period,
                 quantity=units, amount=-value,
                 steps=(step(f"{fmt(units)} prepaid units of {credit.credit_id} cover {fmt(units)} of "
                             f"{fmt(quantity)} units; {fmt(balances[credit.credit_id])} units left",
                             quantity=units, unit_price=ZERO, amount=-value.amount),))
            drawdowns.append(CreditDrawdown(credit_id=credit.credit_id, amount=value, remaining=Money.zero(cur),
                                            kind="units", units=units,
                                            units_remaining=balances[credit.credit_id], line_key=key,
                                            customer_id=customer_id))

    discounts = sorted((d for d in terms.discounts if active(d.start, d.end, period)),
                       key=lambda d: (d.product_code is None, d.product_code or "", d.discount_id))
    for d in discounts:
        if d.product_code is None:
            base = sum_money((ln.amount for ln in lines), cur)
            target = "the total"
        else:
            base = sum_money((ln.amount for ln in lines if ln.product_code == d.product_code), cur)
            target = d.product_code
        if base.amount <= 0:
            continue
        if d.kind is DiscountKind.PERCENTAGE:
            exact = base.amount * d.value / _HUNDRED
            off = round_to_minor(exact, cur, rounding=_MONEY_ROUNDING)
            text = f"{fmt(d.value)}% off {target} ({fmt(base.amount)})"
        else:
            off = min(round_to_minor(d.value, cur, rounding=_MONEY_ROUNDING), base.amount)
            exact = off
            text = f"{fmt(d.value)} {cur.code} off {target}" + (" (capped at the amount)" if off < d.value else "")
        steps = (step(text, quantity=_ONE, unit_price=-exact, amount=-exact),)
        if off != exact:
            steps = (*steps, step(f"rounded to {fmt(-off)} ({_MONEY_ROUNDING.value})", quantity=_ONE,
                                  unit_price=exact - off, amount=exact - off))
        line(key=f"discount:{d.discount_id}", kind=LineKind.DISCOUNT,
             product=None if d.product_code is None else products.get(d.product_code),
             description=f"discount {d.discount_id}", service=period, quantity=_ONE, amount=Money(-off, cur),
             steps=steps)

    for c in sorted((c for c in terms.commitments if active(c.start, c.end, period)), key=lambda c: c.commitment_id):
        spend = sum_money((ln.amount for ln in lines if ln.kind is not LineKind.CREDIT_APPLIED), cur)
        part = Period(max(c.start, period.start), period.end if c.end is None else min(c.end, period.end))
        portion = share(part, period, terms.proration)
        committed = round_to_minor(c.amount * portion.as_decimal(), cur, rounding=_MONEY_ROUNDING) \
            if not portion.is_whole else c.amount
        shortfall = committed - spend.amount
        if shortfall <= 0:
            continue
        steps = (step(f"minimum spend {fmt(committed)} {cur.code}" + ("" if portion.is_whole else
                      f" (of {fmt(c.amount)}, prorated {portion.describe()})") + f", spent {fmt(spend.amount)}",
                      quantity=_ONE, unit_price=shortfall, amount=shortfall),)
        line(key=f"true-up:{c.commitment_id}", kind=LineKind.COMMITMENT_TRUE_UP, product=None,
             description=f"commitment true-up {c.commitment_id}", service=part, quantity=_ONE,
             amount=Money(shortfall, cur), steps=steps, unit_price=shortfall)

    money_credits = sorted((c for c in terms.credits if c.kind is CreditKind.MONEY and c.usable_in(period)),
                           key=_credit_order)
    for credit in money_credits:
        total = sum_money((ln.amount for ln in lines), cur)
        available = round_to_minor(balances[credit.credit_id], cur, rounding=Rounding.DOWN)
        if total.amount <= 0 or available <= 0:
            continue
        draw = min(available, total.amount)
        balances[credit.credit_id] -= draw
        key = f"credit:{credit.credit_id}"
        line(key=key, kind=LineKind.CREDIT_APPLIED, product=None, description=f"prepaid credit {credit.credit_id}",
             service=period, quantity=_ONE, amount=Money(-draw, cur),
             steps=(step(f"prepaid credit {credit.credit_id}: {fmt(draw)} of {fmt(available)} {cur.code} applied; "
                         f"{fmt(balances[credit.credit_id])} left", quantity=_ONE, unit_price=-draw,
                         amount=-draw),))
        drawdowns.append(CreditDrawdown(credit_id=credit.credit_id, amount=Money(draw, cur),
                                        remaining=Money(balances[credit.credit_id], cur), line_key=key,
                                        customer_id=customer_id))

    _verify(lines, drawdowns, cur, credit_balances, terms.credits)
    return EngineResult(lines=tuple(lines), drawdowns=tuple(drawdowns))


def _verify(lines: list[RatedLine], drawdowns: list[CreditDrawdown], cur: object,
            before: Mapping[str, Decimal], grants: tuple[CreditGrant, ...]) -> None:
    """Money invariants, checked again on the finished result."""
    keys = [ln.line_key for ln in lines]
    if len(set(keys)) != len(keys):
        raise InvariantViolation("two rated lines share a line key")
    for ln in lines:
        if sum((s.amount for s in ln.explanation), ZERO) != ln.amount.amount:
            raise InvariantViolation(f"line {ln.line_key}: explanation does not add up to the amount")
    granted = {c.credit_id: before.get(c.credit_id, c.amount) for c in grants}
    for d in drawdowns:
        drawn = d.units if d.units is not None else d.amount.amount
        granted[d.credit_id] -= drawn
        if granted[d.credit_id] < 0 or drawn < 0:
            raise InvariantViolation(f"credit {d.credit_id} would be drawn below zero")
    if any(ln.kind is LineKind.CREDIT_APPLIED for ln in lines):
        total = sum((ln.amount.amount for ln in lines), ZERO)
        if total < 0:
            raise InvariantViolation("prepaid credits took the total below zero")
