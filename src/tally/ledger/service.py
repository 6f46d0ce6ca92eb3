"""Ledger use cases: post what billing issued, recognise revenue, close and reopen periods.

`close_period` runs, in one unit of work: prepaid credit purchases, daily usage recognition, the
documents issued in the period, payments, ratable releases (with catch-up) and breakage; then it
builds the trial balance, reconciles the books with billing, and locks the period.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Protocol

from sqlalchemy import select, text

from tally.audit.model import Actor
from tally.catalog.service import catalog_view
from tally.clock import Clock
from tally.contracts.model import CreditKind
from tally.contracts.service import (
    billable_customers,
    contract_in_force,
    credit_remaining,
    latest_contracts,
)
from tally.errors import InvalidInput, NotFound
from tally.invoicing.model import DocumentKind, IssuedDocument
from tally.invoicing.service import issued_documents
from tally.ledger import model
from tally.ledger.errors import (
    EntryNotFound,
    PeriodAlreadyClosed,
    PeriodNotClosed,
    PeriodNotEnded,
    PeriodOutOfOrder,
    ReopenNotAllowed,
)
from tally.ledger.model import (
    DEFERRED,
    UNBILLED,
    CloseReport,
    JournalEntry,
    PeriodStatus,
    PostingCounts,
    ReconciliationCheck,
    TrialBalance,
)
from tally.ledger.store import LedgerStore, PeriodRow, month_label
from tally.metering.month_to_date import MonthToDateUsage
from tally.money import Money, currency
from tally.period import Period
from tally.rating.engine import rate, usage_requests
from tally.rating.model import LineKind, RatingResult
from tally.rating.service import rate_customer
from tally.rating.usage_source import UsageSource
from tally.revenue import credits as credit_rules
from tally.revenue import documents as document_rules
from tally.revenue import ratable
from tally.revenue import usage as usage_rules
from tally.revenue.store import ScheduleStore
from tally.store.schema.invoicing import invoices
from tally.store.uow import UnitOfWork, UnitOfWorkFactory

REOPEN_ROLES = frozenset({"admin", "finance"})
_CLOSE_LOCK = 606_000_000  # advisory lock namespace of period closes (+ yyyymm)


class Rater(Protocol):
    """Rates one customer over a (possibly partial) period; usage lines are what is recognised."""

    def __call__(self, uow: UnitOfWork, *, customer_id: str, period: Period, as_of: datetime) -> RatingResult: ...


class Customers(Protocol):
    def __call__(self, uow: UnitOfWork, *, period: Period) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class RecognitionDeps:
    """What recognition reads from the stages above (rating and contracts); tests pass fakes.

    `usage` (a factory of rating's `UsageSource`), when given, lets the month-to-date ratings of each day
    reuse one catalog load and one contract per customer (the fast path); the whole period is always
    rated by `rater`, so the month ties exactly to what invoicing bills.
    """

    rater: Rater
    customers: Customers
    usage: Callable[[], UsageSource] | None = None


def default_deps() -> RecognitionDeps:
    """Rating with metering's usage, contracts' billable customers."""

    def rater(uow: UnitOfWork, *, customer_id: str, period: Period, as_of: datetime) -> RatingResult:
        return rate_customer(uow, customer_id=customer_id, period=period, as_of=as_of)

    def customers(uow: UnitOfWork, *, period: Period) -> tuple[str, ...]:
        return billable_customers(uow, period=period)

    return RecognitionDeps(rater=rater, customers=customers, usage=MonthToDateUsage)


def _days(period: Period) -> list[date]:
    day, out = period.start.date(), []
    while datetime(day.year, day.month, day.day, tzinfo=UTC) < period.end:
        out.append(day)
        day += timedelta(days=1)
    return out


def require_month(period: Period) -> str:
    label = period.label
    if len(label) != 7:
        raise InvalidInput("period", f"ledger periods are calendar months, got {label}")
    return label


# --- usage recognition ---


def _usage_cumulative(result: RatingResult) -> dict[tuple[str, str | None], Money]:
    out: dict[tuple[str, str | None], Money] = {}
    for line in result.lines:
        if line.kind is LineKind.USAGE:
            key = (line.revenue_category, line.product_code)
            out[key] = out.get(key, Money.zero(result.currency)) + line.amount
    return out


class _MonthToDate:
    """Month-to-date usage ratings of one customer, day by day, from one catalog and contract load.

    Uses rating's pure engine with the same inputs `rate_customer` loads (contract in force for the
    whole period, price books in force at its start, credit balances as of `as_of`); only the usage
    window changes. Never writes.
    """

    def __init__(self, uow: UnitOfWork, *, period: Period, as_of: datetime, usage: UsageSource) -> None:
        self.uow, self.period, self.as_of, self.usage = uow, period, as_of, usage
        self.catalog = catalog_view(uow, as_of=as_of)

    def series(self, customer_id: str, days: Sequence[date]) -> list[tuple[date, usage_rules.Cumulative]]:
        contract = contract_in_force(self.uow, customer_id=customer_id, period=self.period, as_of=self.as_of)
        terms = contract.terms
        plans = {sub.plan_code: plan for sub in terms.subscriptions
                 if (plan := self.catalog.plans.get(sub.plan_code)) is not None}
        books = {}
        for plan in plans.values():
            code = plan.price_book_for(terms.currency.code)
            book = self.catalog.book_in_force(code, self.period.start) if code else None
            if code and book is not None:
                books[code] = book
        balances = credit_remaining(self.uow, customer_id=customer_id, credits=terms.credits, before=self.as_of)
        out: list[tuple[date, usage_rules.Cumulative]] = []
        for day in days:
            window = Period(self.period.start, datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1))
            quantities: dict[tuple[str, str], Decimal] = {}
            for request in usage_requests(contract=contract, plans=plans, products=self.catalog.products,
                                          period=window):
                quantities[request.key] = self.usage(
                    self.uow, customer_id=customer_id, period=request.period, meter_slug=request.meter_slug,
                    group_filter=dict(request.group_filter) or None).quantity
            result = rate(customer_id=customer_id, period=window, contract=contract, plans=plans,
                          products=self.catalog.products, price_books=books, usage=quantities,
                          credit_balances=balances)
            cumulative: dict[tuple[str, str | None], Money] = {}
            for line in result.lines:
                if line.kind is LineKind.USAGE:
                    key = (line.revenue_category, line.product_code)
                    cumulative[key] = cumulative.get(key, Money.zero(terms.currency)) + line.amount
            out.append((day, cumulative))
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class UsageRecognition:
    entries: tuple[JournalEntry, ...]
    rated_usage: dict[str, Money]  # the full period's rated usage per currency (what the invoices will bill)
    rating_calls: int


def recognise_usage(uow: UnitOfWork, period: Period, *, deps: RecognitionDeps, as_of: datetime,
                    progress: Callable[[int, int], None] | None = None) -> UsageRecognition:
    """Daily usage revenue for every billable customer: the increments of the cumulative rated amount.

    A customer whose whole-period rating has no usage is skipped (no day can have any).
    """
    label = require_month(period)
    customers = deps.customers(uow, period=period)
    days = _days(period)
    entries: list[JournalEntry] = []
    rated: dict[str, Money] = {}
    calls = 0
    month_to_date: _MonthToDate | None = None
    for index, customer_id in enumerate(customers, start=1):
        full = deps.rater(uow, customer_id=customer_id, period=period, as_of=as_of)
        calls += 1
        total = _usage_cumulative(full)
        cur = full.currency
        rated[cur.code] = rated.get(cur.code, Money.zero(cur)) + sum(total.values(), Money.zero(cur))
        if all(m.is_zero() for m in total.values()):
            if progress:
                progress(index, len(customers))
            continue
        series: list[tuple[date, usage_rules.Cumulative]] = []
        if deps.usage is not None:
            if month_to_date is None:
                month_to_date = _MonthToDate(uow, period=period, as_of=as_of, usage=deps.usage())
            series = month_to_date.series(customer_id, days[:-1])
            calls += len(days) - 1
        for day in days[:-1] if deps.usage is None else ():
            end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
            try:
                partial = deps.rater(uow, customer_id=customer_id, period=Period(period.start, end), as_of=as_of)
                series.append((day, _usage_cumulative(partial)))
            except NotFound:  # no contract (or price) in force yet on that day: nothing consumed
                series.append((day, {}))
            calls += 1
        series.append((days[-1], total))
        for day, increments in usage_rules.daily_increments(series):
            entry = usage_rules.usage_entry(customer_id=customer_id, day=day, period_label=label, currency=cur,
                                            increments=increments)
            if entry is not None:
                entries.append(entry)
        if progress:
            progress(index, len(customers))
    return UsageRecognition(entries=tuple(entries), rated_usage=rated, rating_calls=calls)


# --- documents, payments, credits, releases ---


def _unbilled_balances(store: LedgerStore, doc: IssuedDocument) -> dict[str, Money]:
    month = document_rules.month_of(doc)
    out: dict[str, Money] = {}
    for (code, _cust, ref), cur, debit, credit in store.sums_by_ref(account=UNBILLED, customer_id=doc.customer_id):
        if code != UNBILLED or ref is None or not ref.endswith(f"@{month}") or cur != doc.currency.code:
            continue
        balance = debit - credit
        if balance != 0:
            out[ref.rsplit("@", 1)[0]] = Money(balance, doc.currency)
    return out


def _dated(store: LedgerStore, entry: JournalEntry) -> JournalEntry:
    """Late items: an entry dated in a closed period moves to the next open one, saying so."""
    day = store.open_date(entry.entry_date)
    if day == entry.entry_date:
        return entry
    return replace(entry, entry_date=day,
                   reference=f"late: dated {entry.entry_date.isoformat()} in closed period "
                             f"{month_label(entry.entry_date)}")


def post_documents(uow: UnitOfWork, period: Period, *, at: datetime) -> int:
    """Post every invoice and credit note issued in `period` (each exactly once). Never commits."""
    store = LedgerStore(uow.connection)
    schedules = ScheduleStore(uow.connection)
    docs = issued_documents(uow, issued_in=period)
    done = {k: store.posted_sources(k.value, [d.document_id for d in docs if d.kind is k]) for k in DocumentKind}
    posted = 0
    for doc in docs:
        if doc.document_id in done[doc.kind]:
            continue
        unbilled = _unbilled_balances(store, doc) if doc.kind is DocumentKind.INVOICE else {}
        entry, new_schedules = document_rules.post_document(doc, entry_date=doc.issued_at.date(), unbilled=unbilled)
        if entry is None:  # every amount zero: nothing to book
            continue
        written = store.add([_dated(store, entry)], posted_at=at)
        if written:
            schedules.add(new_schedules, created_on=written[0].entry_date)
            posted += 1
    return posted


def post_payments(uow: UnitOfWork, period: Period, *, at: datetime) -> int:
    store = LedgerStore(uow.connection)
    rows = uow.connection.execute(select(invoices.c.invoice_id, invoices.c.number, invoices.c.customer_id,
                                         invoices.c.currency, invoices.c.total, invoices.c.paid_at).where(
        invoices.c.paid_at >= period.start, invoices.c.paid_at < period.end, invoices.c.status == "paid")).all()
    entries = [e for r in rows if (e := credit_rules.payment_entry(
        customer_id=r.customer_id, invoice_id=r.invoice_id, number=r.number or r.invoice_id,
        amount=Money(r.total, currency(r.currency)), paid_on=r.paid_at.date())) is not None]
    return len(store.add([_dated(store, e) for e in entries], posted_at=at))


def post_credit_grants(uow: UnitOfWork, period: Period, *, at: datetime) -> tuple[int, int]:
    """Money credits granted before the period end (paid at grant) and those expired by then (breakage).

    Catch-up: a grant or expiry not yet posted is posted now, dated when it happened (or, if that month
    is closed, on the first day of the next open one). Credits in units carry no money value: their use is
    contra-revenue (see revenue/documents.py) and they have no breakage.
    """
    store = LedgerStore(uow.connection)
    purchases: list[JournalEntry] = []
    breakage: list[JournalEntry] = []
    for contract in sorted(latest_contracts(uow), key=lambda c: c.customer_id):
        terms = contract.terms
        money_credits = [c for c in terms.credits if c.kind is CreditKind.MONEY and c.granted_at < period.end]
        if not money_credits:
            continue
        bought = store.posted_sources("credit_grant", [f"{contract.customer_id}|{c.credit_id}" for c in money_credits])
        broken = store.posted_sources("breakage", [f"{contract.customer_id}|{c.credit_id}" for c in money_credits])
        for grant in money_credits:
            source = f"{contract.customer_id}|{grant.credit_id}"
            if source not in bought:
                e = credit_rules.purchase_entry(customer_id=contract.customer_id, credit_id=grant.credit_id,
                                                amount=Money(grant.amount, terms.currency),
                                                paid_on=grant.granted_at.date())
                if e is not None:
                    purchases.append(e)
            if grant.expires_at is not None and grant.expires_at < period.end and source not in broken:
                left = credit_remaining(uow, customer_id=contract.customer_id, credits=[grant],
                                        before=None)[grant.credit_id]
                if left > 0:
                    e = credit_rules.breakage_entry(customer_id=contract.customer_id, credit_id=grant.credit_id,
                                                    remaining=Money(left, terms.currency),
                                                    expired_on=grant.expires_at.date())
                    if e is not None:
                        breakage.append(e)
    written_purchases = store.add([_dated(store, e) for e in purchases], posted_at=at)
    written_breakage = store.add([_dated(store, e) for e in breakage], posted_at=at)
    return len(written_purchases), len(written_breakage)


def release_schedules(uow: UnitOfWork, period: Period, *, at: datetime) -> int:
    """Release each schedule's days in the period, one entry a day, plus earlier days not yet released."""
    label = require_month(period)
    store = LedgerStore(uow.connection)
    schedules = ScheduleStore(uow.connection)
    already = schedules.released_in(label)
    released = schedules.released()
    end = period.end.date()
    entries: list[JournalEntry] = []
    records: list[tuple[str, Money]] = []
    for schedule in schedules.all(created_before=end):
        if schedule.schedule_id in already:
            continue
        done = Money.from_minor_units(released.get(schedule.schedule_id, 0), schedule.amount.currency)
        made, amount = ratable.release_entries(schedule, period_start=period.start.date(), before=end, released=done)
        entries.extend(made)
        if made:
            records.append((schedule.schedule_id, amount))
    store.add(entries, posted_at=at)
    for schedule_id, amount in records:
        schedules.record_release(schedule_id=schedule_id, period_label=label, through_on=end, amount=amount,
                                 entry_id=None)
    return len(entries)


# --- trial balance and reconciliation ---


def trial_balance_in(uow: UnitOfWork, *, before: date) -> TrialBalance:
    sums = LedgerStore(uow.connection).sums(before=before)
    return model.trial_balance(before, ((str(key[0]), cur, d, c) for key, cur, d, c in sums))


def _by_currency(rows: Sequence[tuple[tuple[str | None, ...], str, Decimal, Decimal]], *,
                 credit_normal: bool) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for _key, cur, d, c in rows:
        out[cur] = out.get(cur, Decimal(0)) + ((c - d) if credit_normal else (d - c))
    return out


def _check(name: str, expected: dict[str, Decimal], actual: dict[str, Decimal], what: str) -> ReconciliationCheck:
    codes = sorted(set(expected) | set(actual))
    parts, ok = [], True
    for code in codes:
        e, a = expected.get(code, Decimal(0)), actual.get(code, Decimal(0))
        ok = ok and e == a
        parts.append(f"{code} expected {e} actual {a} difference {a - e}")
    detail = "; ".join(parts) if parts else f"no {what}"
    return ReconciliationCheck(name=name, passed=ok, detail=detail,
                               expected=", ".join(f"{c} {expected.get(c, Decimal(0))}" for c in codes),
                               actual=", ".join(f"{c} {actual.get(c, Decimal(0))}" for c in codes))


@dataclass(frozen=True, slots=True, kw_only=True)
class RollForwardRow:
    currency: str
    opening: Decimal
    billed: Decimal
    recognised: Decimal
    closing: Decimal

    @property
    def ties_out(self) -> bool:
        return self.opening + self.billed - self.recognised == self.closing


def rollforward_in(uow: UnitOfWork, period: Period) -> tuple[RollForwardRow, ...]:
    """Deferred revenue: opening + billed − recognised = closing, per currency."""
    store = LedgerStore(uow.connection)
    start, end = period.start.date(), period.end.date()
    opening = _by_currency(store.sums(before=start, account=DEFERRED), credit_normal=True)
    billed = _by_currency(store.sums(before=end, on_or_after=start, account=DEFERRED,
                                     source_kinds=("invoice", "credit_note")), credit_normal=True)
    recognised = _by_currency(store.sums(before=end, on_or_after=start, account=DEFERRED,
                                         source_kinds=("release",)), credit_normal=False)
    other = _by_currency(store.sums(before=end, on_or_after=start, account=DEFERRED,
                                    source_kinds=("reversal",)), credit_normal=True)
    closing = _by_currency(store.sums(before=end, account=DEFERRED), credit_normal=True)
    codes = sorted(set(opening) | set(billed) | set(recognised) | set(closing))
    z = Decimal(0)
    return tuple(RollForwardRow(currency=c, opening=opening.get(c, z), billed=billed.get(c, z) + other.get(c, z),
                                recognised=recognised.get(c, z), closing=closing.get(c, z)) for c in codes)


def reconcile_in(uow: UnitOfWork, period: Period, *, rated_usage: dict[str, Money],
                 trial: TrialBalance | None = None) -> tuple[ReconciliationCheck, ...]:
    """The books against billing: each check names what it compares and the difference."""
    store = LedgerStore(uow.connection)
    start, end = period.start.date(), period.end.date()
    trial = trial or trial_balance_in(uow, before=end)
    checks = [ReconciliationCheck(
        name="trial balance balances per currency", passed=trial.balanced,
        detail="; ".join(f"{c} debits {d} credits {cr_}" for c, (d, cr_) in sorted(trial.totals.items()))
        or "no entries")]
    docs = issued_documents(uow, issued_in=period)
    for kind, name in ((DocumentKind.INVOICE, "invoiced amounts = AR debits"),
                       (DocumentKind.CREDIT_NOTE, "credit notes = AR credits")):
        expected: dict[str, Decimal] = {}
        for d in docs:
            if d.kind is kind:
                expected[d.currency.code] = expected.get(d.currency.code, Decimal(0)) + d.total.amount
        actual = _by_currency(store.sums(before=end, on_or_after=start, account=model.AR,
                                         source_kinds=(kind.value,)),
                              credit_normal=kind is DocumentKind.CREDIT_NOTE)
        checks.append(_check(name, expected, actual, "documents"))
    usage_revenue: dict[str, Decimal] = {}
    for key, cur, debit, credit in store.sums(before=end, on_or_after=start, source_kinds=("usage",)):
        if str(key[0]).startswith(model.REVENUE_PREFIX):
            usage_revenue[cur] = usage_revenue.get(cur, Decimal(0)) + credit - debit
    checks.append(_check("recognised usage revenue = rated usage",
                         {c: m.amount for c, m in rated_usage.items() if not m.is_zero()},
                         {c: v for c, v in usage_revenue.items() if v != 0}, "usage"))
    schedules = ScheduleStore(uow.connection)
    released = schedules.released(through_on_or_before=end)
    unreleased: dict[str, Decimal] = {}
    for s in schedules.all(created_before=end):
        left = s.amount - Money.from_minor_units(released.get(s.schedule_id, 0), s.amount.currency)
        unreleased[s.amount.currency.code] = unreleased.get(s.amount.currency.code, Decimal(0)) + left.amount
    deferred = _by_currency(store.sums(before=end, account=DEFERRED), credit_normal=True)
    checks.append(_check("deferred revenue closing = unreleased schedules",
                         {c: v for c, v in unreleased.items() if v != 0},
                         {c: v for c, v in deferred.items() if v != 0}, "deferred revenue"))
    rows = rollforward_in(uow, period)
    checks.append(ReconciliationCheck(
        name="deferred revenue roll-forward ties out", passed=all(r.ties_out for r in rows),
        detail="; ".join(f"{r.currency} {r.opening} + {r.billed} − {r.recognised} = {r.closing}" for r in rows)
        or "no deferred revenue"))
    return tuple(checks)


# --- close, reopen, reconcile ---


def _require_order(store: LedgerStore, label: str, period: Period) -> None:
    row = store.period(label)
    if row is not None and row.status is PeriodStatus.CLOSED:
        raise PeriodAlreadyClosed(label)
    closed = store.closed_labels()
    previous = month_label(period.start.date() - timedelta(days=1))
    if any(c < label for c in closed) and previous not in closed:
        raise PeriodOutOfOrder(label, previous)
    later = sorted(c for c in closed if c > label)
    if row is None and later:  # its usage would be recognised after later months billed it
        raise PeriodOutOfOrder(label, f"{later[0]} is already closed and {label}")


def close_period(uow_factory: UnitOfWorkFactory, period: Period, *, actor: Actor, clock: Clock,
                 deps: RecognitionDeps | None = None,
                 progress: Callable[[int, int], None] | None = None) -> CloseReport:
    """Recognise, post, reconcile and lock one calendar month. All or nothing: one unit of work."""
    started = time.perf_counter()  # float-ok: a duration
    label = require_month(period)
    deps = deps or default_deps()
    at = clock.now()
    if at < period.end:
        raise PeriodNotEnded(label, at.isoformat())
    with uow_factory() as uow:
        if uow.dialect == "postgresql":  # two closes of one month: the second waits, then finds it closed
            uow.connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                   {"key": _CLOSE_LOCK + period.start.year * 100 + period.start.month})
        store = LedgerStore(uow.connection)
        _require_order(store, label, period)
        bought, broken_before = post_credit_grants(uow, period, at=at)
        usage = recognise_usage(uow, period, deps=deps, as_of=at, progress=progress)
        usage_written = store.add([_dated(store, e) for e in usage.entries], posted_at=at)
        documents = post_documents(uow, period, at=at)
        payments = post_payments(uow, period, at=at)
        releases = release_schedules(uow, period, at=at)
        trial = trial_balance_in(uow, before=period.end.date())
        checks = reconcile_in(uow, period, rated_usage=usage.rated_usage, trial=trial)
        store.set_closed(label, start_on=period.start.date(), end_on=period.end.date(), at=at, by=str(actor))
        counts = PostingCounts(documents=documents, usage_days=len(usage_written), releases=releases,
                               payments=payments, credit_grants=bought, breakage=broken_before,
                               entries=documents + len(usage_written) + releases + payments + bought + broken_before)
        uow.audit.record("period.closed", actor=actor, subject_type="ledger_period", subject_id=label, at=at,
                         after={"balanced": trial.balanced, "counts": counts,
                                "checks": [(c.name, c.passed) for c in checks]})
        uow.commit()
    return CloseReport(period=label, trial_balance=trial, reconciliation=checks, counts=counts,
                       seconds=time.perf_counter() - started)  # float-ok


def reopen_period(uow_factory: UnitOfWorkFactory, period: Period, *, reason: str, actor: Actor,
                  clock: Clock) -> PeriodRow:
    """Privileged: admin or finance only, with a reason, recorded in the audit trail."""
    label = require_month(period)
    if actor.role not in REOPEN_ROLES:
        raise ReopenNotAllowed(label, actor.role)
    if not reason.strip():
        raise InvalidInput("reason", f"reopening {label} needs a reason")
    at = clock.now()
    with uow_factory() as uow:
        store = LedgerStore(uow.connection)
        row = store.period(label)
        if row is None or row.status is not PeriodStatus.CLOSED:
            raise PeriodNotClosed(label)
        store.set_reopened(label, at=at, by=str(actor))
        uow.audit.record("period.reopened", actor=actor, subject_type="ledger_period", subject_id=label, at=at,
                         before={"status": "closed"}, after={"status": "open", "reason": reason})
        reopened = store.period(label) or row
        uow.commit()
    return reopened


def list_periods(uow_factory: UnitOfWorkFactory) -> tuple[PeriodRow, ...]:
    with uow_factory() as uow:
        return LedgerStore(uow.connection).periods()


def reconcile(uow_factory: UnitOfWorkFactory, period: Period, *,
              deps: RecognitionDeps | None = None, clock: Clock) -> tuple[ReconciliationCheck, ...]:
    """Re-rate the period's usage (reads only) and reconcile the books with billing."""
    require_month(period)
    deps = deps or default_deps()
    with uow_factory() as uow:
        rated: dict[str, Money] = {}
        for customer_id in deps.customers(uow, period=period):
            result = deps.rater(uow, customer_id=customer_id, period=period, as_of=clock.now())
            for m in _usage_cumulative(result).values():
                rated[m.currency.code] = rated.get(m.currency.code, Money.zero(m.currency)) + m
        return reconcile_in(uow, period, rated_usage=rated)


def reverse_entry(uow_factory: UnitOfWorkFactory, entry_id: str, *, reason: str, actor: Actor,
                  clock: Clock) -> JournalEntry:
    """Correct an entry by a reversing entry dated today (or the next open period), pointing at it."""
    at = clock.now()
    with uow_factory() as uow:
        store = LedgerStore(uow.connection)
        original = store.entry(entry_id)
        if original is None:
            raise EntryNotFound(entry_id)
        reversal = _dated(store, model.reversal_of(original, entry_date=at.date(), reason=reason))
        store.add([reversal], posted_at=at)
        uow.audit.record("journal_entry.reversed", actor=actor, subject_type="journal_entry", subject_id=entry_id,
                         at=at, after={"reversal": reversal.entry_id, "reason": reason})
        uow.commit()
    return reversal
