"""Records of the ledger stage: the chart of accounts, journal entries and the trial balance. No I/O.

A journal entry is a fact: balanced per currency when it is built (and again when it is written),
never edited, corrected only by a reversing entry that points at it. Never reads the clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from tally.errors import InvalidInput
from tally.ledger.errors import UnbalancedEntry
from tally.money import Currency, Money


class AccountType(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    REVENUE = "revenue"
    CONTRA_REVENUE = "contra_revenue"

    @property
    def debit_normal(self) -> bool:
        """Assets and contra-revenue grow with debits; liabilities and revenue with credits."""
        return self in (AccountType.ASSET, AccountType.CONTRA_REVENUE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    code: str  # what entries name: "accounts_receivable", "revenue:compute"
    number: str  # the GL number an ERP maps: "1200", "4000-compute"
    name: str
    type: AccountType


CASH = "cash"
AR = "accounts_receivable"
UNBILLED = "unbilled_receivables"
DEFERRED = "deferred_revenue"
PREPAID = "prepaid_credits"
TAX = "tax_payable"
BREAKAGE = "breakage_revenue"
REVENUE_PREFIX = "revenue:"
DISCOUNT_PREFIX = "discounts:"

FIXED_ACCOUNTS: dict[str, Account] = {a.code: a for a in (
    Account(code=CASH, number="1000", name="Cash", type=AccountType.ASSET),
    Account(code=AR, number="1200", name="Accounts receivable", type=AccountType.ASSET),
    Account(code=UNBILLED, number="1250", name="Unbilled receivables (contract asset)", type=AccountType.ASSET),
    Account(code=DEFERRED, number="2400", name="Deferred revenue (contract liability)", type=AccountType.LIABILITY),
    Account(code=PREPAID, number="2450", name="Prepaid credit liability", type=AccountType.LIABILITY),
    Account(code=TAX, number="2300", name="Tax payable", type=AccountType.LIABILITY),
    Account(code=BREAKAGE, number="4800", name="Breakage revenue", type=AccountType.REVENUE),
)}


def revenue_account(category: str) -> str:
    """Revenue of one product line (the rated line's `revenue_category`)."""
    return REVENUE_PREFIX + _category(category)


def discount_account(category: str) -> str:
    """Discounts given on one product line: contra-revenue, shown as a reduction of its revenue."""
    return DISCOUNT_PREFIX + _category(category)


def _category(category: str) -> str:
    text = category.strip().lower()
    if not text or any(c.isspace() or c == ":" for c in text):
        raise InvalidInput("revenue_category", f"must be a non-empty word without spaces or ':', got {category!r}")
    return text


def account(code: str) -> Account:
    """The account an entry names; revenue and discount accounts exist for every product line."""
    fixed = FIXED_ACCOUNTS.get(code)
    if fixed is not None:
        return fixed
    if code.startswith(REVENUE_PREFIX):
        cat = _category(code[len(REVENUE_PREFIX):])
        return Account(code=code, number=f"4000-{cat}", name=f"Revenue — {cat}", type=AccountType.REVENUE)
    if code.startswith(DISCOUNT_PREFIX):
        cat = _category(code[len(DISCOUNT_PREFIX):])
        return Account(code=code, number=f"4900-{cat}", name=f"Discounts — {cat}", type=AccountType.CONTRA_REVENUE)
    raise InvalidInput("account", f"{code!r} is not in the chart of accounts")


def is_revenue(code: str) -> bool:
    """Revenue, breakage and contra-revenue: what a revenue report adds up."""
    return account(code).type in (AccountType.REVENUE, AccountType.CONTRA_REVENUE)


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalLine:
    """One side of an entry: exactly one of `debit` and `credit` is non-zero, both rounded, same currency."""

    account: str
    debit: Money
    credit: Money
    customer_id: str | None = None
    document: str | None = None  # invoice or credit note number this line comes from
    product_code: str | None = None
    memo: str = ""
    ref: str | None = None  # what a balance ties to: "compute@2026-11" (unbilled), a schedule id (deferred)

    def __post_init__(self) -> None:
        account(self.account)
        if self.debit.currency != self.credit.currency:
            raise InvalidInput("credit", f"{self.account}: debit and credit are in different currencies")
        for side, value in (("debit", self.debit), ("credit", self.credit)):
            if value.amount < 0:
                raise InvalidInput(side, f"{self.account}: must not be negative, got {value.amount}")
            if not value.is_rounded:
                raise InvalidInput(side, f"{self.account}: {value.amount} is not rounded to minor units")
        if self.debit.is_zero() == self.credit.is_zero():
            raise InvalidInput("debit", f"{self.account}: exactly one of debit and credit must be non-zero")

    @property
    def currency(self) -> Currency:
        return self.debit.currency

    @property
    def net(self) -> Money:
        """Debit minus credit: positive for a debit line."""
        return self.debit - self.credit


def dr(code: str, amount: Money, *, customer_id: str | None = None, document: str | None = None,
       product_code: str | None = None, memo: str = "", ref: str | None = None) -> JournalLine | None:
    """A debit line (None for zero); a negative amount becomes the same credit (callers keep signed amounts)."""
    if amount.is_zero():
        return None
    zero = Money.zero(amount.currency)
    debit, credit = (zero, -amount) if amount.amount < 0 else (amount, zero)
    return JournalLine(account=code, debit=debit, credit=credit, customer_id=customer_id, document=document,
                       product_code=product_code, memo=memo, ref=ref)


def cr(code: str, amount: Money, *, customer_id: str | None = None, document: str | None = None,
       product_code: str | None = None, memo: str = "", ref: str | None = None) -> JournalLine | None:
    """A credit line (None for zero); a negative amount becomes the same debit."""
    return dr(code, -amount, customer_id=customer_id, document=document, product_code=product_code, memo=memo,
              ref=ref)


def entry_id_for(source_kind: str, source_id: str) -> str:
    """Deterministic id: the same source always makes the same entry id (posting is idempotent)."""
    return "je_" + hashlib.sha256(f"{source_kind}\x1f{source_id}".encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalEntry:
    """A balanced set of lines on one date from one source (a document, a day of usage, a release …)."""

    entry_id: str
    entry_date: date
    source_kind: str  # invoice, credit_note, usage, release, payment, credit_grant, breakage, reversal
    source_id: str  # unique with source_kind: a source is posted once
    memo: str
    lines: tuple[JournalLine, ...]
    reverses: str | None = None  # the entry this one reverses
    reference: str | None = None  # e.g. "late: dated 2026-11-20 in closed period 2026-11"

    def __post_init__(self) -> None:
        if not self.source_kind or not self.source_id:
            raise InvalidInput("source", f"journal entry {self.entry_id}: source kind and id are required")
        if len(self.lines) < 2:
            raise UnbalancedEntry(self.entry_id, f"needs at least two lines, has {len(self.lines)}")
        for code, difference in imbalance(self.lines).items():
            if difference != 0:
                raise UnbalancedEntry(self.entry_id, f"{code} debits − credits = {difference}")

    def currencies(self) -> tuple[str, ...]:
        return tuple(sorted({line.currency.code for line in self.lines}))


def imbalance(lines: Iterable[JournalLine]) -> dict[str, Decimal]:
    """Debits minus credits per currency code (zero everywhere for a balanced set)."""
    out: dict[str, Decimal] = {}
    for line in lines:
        out[line.currency.code] = out.get(line.currency.code, Decimal(0)) + line.net.amount
    return out


def make_entry(*, source_kind: str, source_id: str, entry_date: date, memo: str,
               lines: Iterable[JournalLine | None], reverses: str | None = None) -> JournalEntry | None:
    """An entry from the lines that are not None, merging nothing; None when no line is left."""
    kept = tuple(line for line in lines if line is not None)
    if not kept:
        return None
    return JournalEntry(entry_id=entry_id_for(source_kind, source_id), entry_date=entry_date,
                        source_kind=source_kind, source_id=source_id, memo=memo, lines=kept, reverses=reverses)


def reversal_of(original: JournalEntry, *, entry_date: date, reason: str) -> JournalEntry:
    """The correcting entry: every line with debit and credit swapped, pointing at the original."""
    lines = tuple(JournalLine(account=ln.account, debit=ln.credit, credit=ln.debit, customer_id=ln.customer_id,
                              document=ln.document, product_code=ln.product_code, memo=ln.memo, ref=ln.ref)
                  for ln in original.lines)
    return JournalEntry(entry_id=entry_id_for("reversal", original.entry_id), entry_date=entry_date,
                        source_kind="reversal", source_id=original.entry_id, memo=f"reversal: {reason}",
                        lines=lines, reverses=original.entry_id)


# --- trial balance ---


@dataclass(frozen=True, slots=True, kw_only=True)
class TrialBalanceRow:
    account: str
    number: str
    name: str
    type: AccountType
    currency: str
    debit: Decimal  # total debits
    credit: Decimal  # total credits

    @property
    def balance(self) -> Decimal:
        """Debits minus credits (positive: a debit balance)."""
        return self.debit - self.credit


@dataclass(frozen=True, slots=True, kw_only=True)
class TrialBalance:
    as_of: date  # entries dated strictly before this day
    rows: tuple[TrialBalanceRow, ...]

    @property
    def totals(self) -> dict[str, tuple[Decimal, Decimal]]:
        """(debits, credits) per currency."""
        out: dict[str, tuple[Decimal, Decimal]] = {}
        for row in self.rows:
            d, c = out.get(row.currency, (Decimal(0), Decimal(0)))
            out[row.currency] = (d + row.debit, c + row.credit)
        return out

    @property
    def balanced(self) -> bool:
        return all(d == c for d, c in self.totals.values())

    def balance(self, code: str, currency: str) -> Decimal:
        return sum((r.balance for r in self.rows if r.account == code and r.currency == currency), Decimal(0))


def trial_balance(as_of: date, sums: Iterable[tuple[str, str, Decimal, Decimal]]) -> TrialBalance:
    """Rows from (account, currency, debits, credits) sums, in chart order (number, then currency)."""
    rows = []
    for code, cur, debit, credit in sums:
        acc = account(code)
        rows.append(TrialBalanceRow(account=code, number=acc.number, name=acc.name, type=acc.type, currency=cur,
                                    debit=debit, credit=credit))
    rows.sort(key=lambda r: (r.number, r.currency))
    return TrialBalance(as_of=as_of, rows=tuple(rows))


# --- close ---


class PeriodStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconciliationCheck:
    name: str
    passed: bool
    detail: str
    expected: str = ""
    actual: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PostingCounts:
    documents: int = 0
    usage_days: int = 0
    releases: int = 0
    payments: int = 0
    credit_grants: int = 0
    breakage: int = 0
    entries: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class CloseReport:
    period: str
    trial_balance: TrialBalance
    reconciliation: tuple[ReconciliationCheck, ...]
    counts: PostingCounts
    seconds: float  # float-ok: a duration, not money

    @property
    def passed(self) -> bool:
        return self.trial_balance.balanced and all(c.passed for c in self.reconciliation)
