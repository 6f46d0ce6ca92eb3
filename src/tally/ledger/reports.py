"""Finance reports read from the journal and the schedules. Reads only: never writes or commits."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tally.errors import InvalidInput
from tally.ledger import export, model
from tally.ledger.model import UNBILLED, TrialBalance
from tally.ledger.service import RollForwardRow, require_month, rollforward_in, trial_balance_in
from tally.ledger.store import LedgerStore, StoredLine
from tally.money import Money
from tally.period import Period
from tally.revenue import ratable
from tally.revenue.store import ScheduleStore
from tally.store.uow import UnitOfWorkFactory

ENTRIES_LIMIT_MAX = 100_000


def trial_balance(uow_factory: UnitOfWorkFactory, period: Period) -> TrialBalance:
    """Balances of every account and currency at the end of `period`."""
    require_month(period)
    with uow_factory() as uow:
        return trial_balance_in(uow, before=period.end.date())


@dataclass(frozen=True, slots=True, kw_only=True)
class RevenueRow:
    key: str  # product code or customer id ("-" when the line has none)
    account: str
    currency: str
    amount: Decimal  # revenue earned in the period; negative for discounts (contra-revenue)


def revenue(uow_factory: UnitOfWorkFactory, period: Period, *, by: str = "product") -> tuple[RevenueRow, ...]:
    """Revenue earned in `period` by product (or customer), per revenue and contra-revenue account."""
    if by not in ("product", "customer"):
        raise InvalidInput("by", f"must be product or customer, got {by!r}")
    require_month(period)
    with uow_factory() as uow:
        sums = LedgerStore(uow.connection).sums(before=period.end.date(), on_or_after=period.start.date(),
                                                by_customer=by == "customer", by_product=by == "product")
    out = [RevenueRow(key=str(key[1] or "-"), account=str(key[0]), currency=cur, amount=c - d)
           for key, cur, d, c in sums if model.is_revenue(str(key[0]))]
    return tuple(sorted(out, key=lambda r: (r.key, r.account, r.currency)))


def deferred_rollforward(uow_factory: UnitOfWorkFactory, period: Period) -> tuple[RollForwardRow, ...]:
    require_month(period)
    with uow_factory() as uow:
        return rollforward_in(uow, period)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnbilledRow:
    customer_id: str
    ref: str  # product line @ billing month
    currency: str
    amount: Decimal


def unbilled(uow_factory: UnitOfWorkFactory, period: Period) -> tuple[UnbilledRow, ...]:
    """Usage earned but not yet invoiced at the end of `period`, per customer and billing month."""
    require_month(period)
    with uow_factory() as uow:
        rows = LedgerStore(uow.connection).balances_by_ref(account=UNBILLED, before=period.end.date())
    out = [UnbilledRow(customer_id=cust or "-", ref=ref or "-", currency=cur, amount=balance)
           for cust, ref, cur, balance in rows if balance != 0]
    return tuple(sorted(out, key=lambda r: (r.customer_id, r.ref, r.currency)))


@dataclass(frozen=True, slots=True, kw_only=True)
class WaterfallRow:
    month: str
    currency: str
    amount: Decimal


def waterfall(uow_factory: UnitOfWorkFactory, period: Period) -> tuple[WaterfallRow, ...]:
    """Revenue already billed that will be recognised after `period`, by month (from the schedules)."""
    require_month(period)
    with uow_factory() as uow:
        schedules = ScheduleStore(uow.connection).all(created_before=period.end.date())
    future: dict[tuple[str, str], Money] = ratable.by_month_after(schedules, period.end.date())
    return tuple(WaterfallRow(month=m, currency=c, amount=v.amount) for (m, c), v in future.items())


def entries(uow_factory: UnitOfWorkFactory, period: Period, *, account: str | None = None,
            customer_id: str | None = None, limit: int = 1000) -> tuple[StoredLine, ...]:
    """Journal lines dated in `period`, optionally of one account or customer."""
    require_month(period)
    if not 1 <= limit <= ENTRIES_LIMIT_MAX:
        raise InvalidInput("limit", f"must be 1..{ENTRIES_LIMIT_MAX} (entries_limit_max), got {limit}")
    with uow_factory() as uow:
        return LedgerStore(uow.connection).lines(on_or_after=period.start.date(), before=period.end.date(),
                                                 account=account, customer_id=customer_id, limit=limit)


def gl_export(uow_factory: UnitOfWorkFactory, period: Period) -> str:
    """Every journal line dated in `period` as CSV, with a control total per currency (see export.py)."""
    require_month(period)
    with uow_factory() as uow:
        lines = LedgerStore(uow.connection).lines(on_or_after=period.start.date(), before=period.end.date())
    return export.gl_csv(lines)
