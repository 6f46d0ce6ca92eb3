"""The ledger tables ↔ journal records. Makes no decisions and never commits; the unit of work does.

Writes lines first and the entry last, so that the database trigger on the entry sees every line
and refuses an unbalanced one. Amounts are stored as integer minor units.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, and_, func, insert, select, update

from tally.ledger.errors import PeriodClosed
from tally.ledger.model import JournalEntry, JournalLine, PeriodStatus
from tally.money import Money, currency
from tally.store.schema.ledger import ledger_entries, ledger_lines, ledger_periods

_CHUNK = 500


def month_label(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def next_month_start(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class PeriodRow:
    period: str
    start_on: date
    end_on: date
    status: PeriodStatus
    closed_at: datetime | None
    closed_by: str | None
    reopened_at: datetime | None
    reopened_by: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredLine:
    """A journal line as read back, with its entry's identity (for reports and the GL export)."""

    entry_id: str
    line_no: int
    entry_date: date
    source_kind: str
    account: str
    currency: str
    debit: Decimal
    credit: Decimal
    customer_id: str | None
    document: str | None
    product_code: str | None
    memo: str


class LedgerStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    # --- periods ---

    def periods(self) -> tuple[PeriodRow, ...]:
        rows = self.connection.execute(select(ledger_periods).order_by(ledger_periods.c.period))
        return tuple(PeriodRow(period=r.period, start_on=r.start_on, end_on=r.end_on, status=PeriodStatus(r.status),
                               closed_at=r.closed_at, closed_by=r.closed_by, reopened_at=r.reopened_at,
                               reopened_by=r.reopened_by) for r in rows)

    def period(self, label: str) -> PeriodRow | None:
        return next((p for p in self.periods() if p.period == label), None)

    def closed_labels(self) -> frozenset[str]:
        return frozenset(p.period for p in self.periods() if p.status is PeriodStatus.CLOSED)

    def set_closed(self, label: str, *, start_on: date, end_on: date, at: datetime, by: str) -> None:
        if self.period(label) is None:
            self.connection.execute(insert(ledger_periods).values(
                period=label, start_on=start_on, end_on=end_on, status=PeriodStatus.CLOSED.value, closed_at=at,
                closed_by=by))
        else:
            self.connection.execute(update(ledger_periods).where(ledger_periods.c.period == label).values(
                status=PeriodStatus.CLOSED.value, closed_at=at, closed_by=by))

    def set_reopened(self, label: str, *, at: datetime, by: str) -> None:
        self.connection.execute(update(ledger_periods).where(ledger_periods.c.period == label).values(
            status=PeriodStatus.OPEN.value, reopened_at=at, reopened_by=by))

    def open_date(self, wanted: date) -> date:
        """`wanted` if its month is open, else the first day of the next open month (late items)."""
        closed = self.closed_labels()
        day = wanted
        while month_label(day) in closed:
            day = next_month_start(day)
        return day

    # --- entries ---

    def posted_sources(self, source_kind: str, source_ids: Iterable[str]) -> set[str]:
        ids = list(source_ids)
        found: set[str] = set()
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i:i + _CHUNK]
            found.update(r.source_id for r in self.connection.execute(
                select(ledger_entries.c.source_id).where(and_(ledger_entries.c.source_kind == source_kind,
                                                              ledger_entries.c.source_id.in_(chunk)))))
        return found

    def add(self, entries: Sequence[JournalEntry], *, posted_at: datetime) -> tuple[JournalEntry, ...]:
        """Write the entries not yet posted (by source); returns those written. Refuses closed periods."""
        closed = self.closed_labels()
        for e in entries:
            if month_label(e.entry_date) in closed:
                raise PeriodClosed(month_label(e.entry_date), f"entry {e.entry_id} ({e.source_kind} {e.source_id}) "
                                   f"is dated {e.entry_date.isoformat()}")
        by_kind: dict[str, list[str]] = {}
        for e in entries:
            by_kind.setdefault(e.source_kind, []).append(e.source_id)
        posted = {(k, s) for k, ids in by_kind.items() for s in self.posted_sources(k, ids)}
        fresh: list[JournalEntry] = []
        seen: set[tuple[str, str]] = set()
        for e in entries:
            key = (e.source_kind, e.source_id)
            if key in posted or key in seen:
                continue
            seen.add(key)
            fresh.append(e)
        if not fresh:
            return ()
        line_rows = [_line_row(e, n, line) for e in fresh for n, line in enumerate(e.lines, start=1)]
        for i in range(0, len(line_rows), _CHUNK * 4):
            self.connection.execute(insert(ledger_lines), line_rows[i:i + _CHUNK * 4])
        entry_rows = [{"entry_id": e.entry_id, "entry_date": e.entry_date, "source_kind": e.source_kind,
                       "source_id": e.source_id, "memo": e.memo, "reverses": e.reverses, "reference": e.reference,
                       "posted_at": posted_at} for e in fresh]
        for i in range(0, len(entry_rows), _CHUNK):
            self.connection.execute(insert(ledger_entries), entry_rows[i:i + _CHUNK])
        return tuple(fresh)

    def entry(self, entry_id: str) -> JournalEntry | None:
        head = self.connection.execute(select(ledger_entries).where(ledger_entries.c.entry_id == entry_id)).first()
        if head is None:
            return None
        rows = self.connection.execute(select(ledger_lines).where(ledger_lines.c.entry_id == entry_id)
                                       .order_by(ledger_lines.c.line_no)).all()
        lines = tuple(JournalLine(
            account=r.account, debit=_money(r.debit_minor, r.currency), credit=_money(r.credit_minor, r.currency),
            customer_id=r.customer_id, document=r.document, product_code=r.product_code, memo=r.memo, ref=r.ref)
            for r in rows)
        return JournalEntry(entry_id=head.entry_id, entry_date=head.entry_date, source_kind=head.source_kind,
                            source_id=head.source_id, memo=head.memo, lines=lines, reverses=head.reverses,
                            reference=head.reference)

    # --- reads for reports ---

    def sums(self, *, before: date, on_or_after: date | None = None, source_kinds: Sequence[str] | None = None,
             account: str | None = None, by_customer: bool = False,
             by_product: bool = False) -> list[tuple[tuple[str | None, ...], str, Decimal, Decimal]]:
        """(key, currency, debits, credits) where key is (account[, customer][, product]), exact decimals."""
        cols = [ledger_lines.c.account]
        if by_customer:
            cols.append(ledger_lines.c.customer_id)
        if by_product:
            cols.append(ledger_lines.c.product_code)
        query = select(*cols, ledger_lines.c.currency, func.sum(ledger_lines.c.debit_minor),
                       func.sum(ledger_lines.c.credit_minor)).where(ledger_lines.c.entry_date < before)
        if on_or_after is not None:
            query = query.where(ledger_lines.c.entry_date >= on_or_after)
        if account is not None:
            query = query.where(ledger_lines.c.account == account)
        if source_kinds is not None:
            query = query.where(ledger_lines.c.entry_id.in_(
                select(ledger_entries.c.entry_id).where(ledger_entries.c.source_kind.in_(list(source_kinds)))))
        query = query.group_by(*cols, ledger_lines.c.currency)
        out = []
        for row in self.connection.execute(query):
            values = tuple(row)
            key, cur, d, c = values[:len(cols)], values[len(cols)], values[-2], values[-1]
            exponent = currency(cur).minor_units
            out.append((key, cur, Decimal(int(d or 0)).scaleb(-exponent), Decimal(int(c or 0)).scaleb(-exponent)))
        return out

    def sums_by_ref(self, *, account: str, customer_id: str) -> list[tuple[tuple[str | None, ...], str, Decimal,
                                                                            Decimal]]:
        """(account, customer, ref) balances of one customer on one account (e.g. unbilled per month)."""
        query = (select(ledger_lines.c.account, ledger_lines.c.customer_id, ledger_lines.c.ref,
                        ledger_lines.c.currency, func.sum(ledger_lines.c.debit_minor),
                        func.sum(ledger_lines.c.credit_minor))
                 .where(ledger_lines.c.account == account, ledger_lines.c.customer_id == customer_id)
                 .group_by(ledger_lines.c.account, ledger_lines.c.customer_id, ledger_lines.c.ref,
                           ledger_lines.c.currency))
        out: list[tuple[tuple[str | None, ...], str, Decimal, Decimal]] = []
        for acc, cust, ref, cur, d, c in self.connection.execute(query):
            exponent = currency(cur).minor_units
            out.append(((acc, cust, ref), cur, Decimal(int(d or 0)).scaleb(-exponent),
                        Decimal(int(c or 0)).scaleb(-exponent)))
        return out

    def balances_by_ref(self, *, account: str, before: date) -> list[tuple[str | None, str | None, str, Decimal]]:
        """(customer, ref, currency, debits − credits) of one account for entries dated before `before`."""
        query = (select(ledger_lines.c.customer_id, ledger_lines.c.ref, ledger_lines.c.currency,
                        func.sum(ledger_lines.c.debit_minor), func.sum(ledger_lines.c.credit_minor))
                 .where(ledger_lines.c.account == account, ledger_lines.c.entry_date < before)
                 .group_by(ledger_lines.c.customer_id, ledger_lines.c.ref, ledger_lines.c.currency))
        return [(cust, ref, cur, Decimal(int(d or 0) - int(c or 0)).scaleb(-currency(cur).minor_units))
                for cust, ref, cur, d, c in self.connection.execute(query)]

    def lines(self, *, on_or_after: date, before: date, account: str | None = None,
              customer_id: str | None = None, limit: int | None = None) -> tuple[StoredLine, ...]:
        query = (select(ledger_lines, ledger_entries.c.source_kind)
                 .join(ledger_entries, ledger_entries.c.entry_id == ledger_lines.c.entry_id)
                 .where(ledger_lines.c.entry_date >= on_or_after, ledger_lines.c.entry_date < before)
                 .order_by(ledger_lines.c.entry_date, ledger_entries.c.posted_at, ledger_lines.c.entry_id,
                           ledger_lines.c.line_no))
        if account is not None:
            query = query.where(ledger_lines.c.account == account)
        if customer_id is not None:
            query = query.where(ledger_lines.c.customer_id == customer_id)
        if limit is not None:
            query = query.limit(limit)
        out = []
        for r in self.connection.execute(query):
            exponent = currency(r.currency).minor_units
            out.append(StoredLine(entry_id=r.entry_id, line_no=r.line_no, entry_date=r.entry_date,
                                  source_kind=r.source_kind, account=r.account, currency=r.currency,
                                  debit=Decimal(r.debit_minor).scaleb(-exponent),
                                  credit=Decimal(r.credit_minor).scaleb(-exponent), customer_id=r.customer_id,
                                  document=r.document, product_code=r.product_code, memo=r.memo))
        return tuple(out)


def _money(minor: int, code: str) -> Money:
    return Money.from_minor_units(int(minor), currency(code))


def _line_row(entry: JournalEntry, line_no: int, line: JournalLine) -> dict[str, object]:
    return {"entry_id": entry.entry_id, "line_no": line_no, "entry_date": entry.entry_date, "account": line.account,
            "currency": line.currency.code, "debit_minor": line.debit.to_minor_units(),
            "credit_minor": line.credit.to_minor_units(), "customer_id": line.customer_id,
            "document": line.document, "product_code": line.product_code, "memo": line.memo, "ref": line.ref}
