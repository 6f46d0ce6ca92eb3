"""Contract use cases: the version in force, billable customers, subscribing many customers at once,
prepaid credit balances, drawdowns (recorded when an invoice is issued) and breakage.

Functions taking an open `uow` compose inside another service's transaction and never commit;
those taking `uow_factory` own theirs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from tally.audit.canonical import digest
from tally.audit.model import Actor
from tally.catalog.service import Action, Change, load_catalog
from tally.catalog.store import StoredVersion, insert_versions, load_versions
from tally.clock import Clock
from tally.contracts.changes import LatestContract, plan_contract_changes
from tally.contracts.document import parse_contract
from tally.contracts.errors import ContractNotFound, CreditOverdrawn
from tally.contracts.model import ContractVersion, CreditGrant, CreditKind
from tally.errors import InvalidInput
from tally.period import Period
from tally.rating.model import CreditDrawdown
from tally.store.schema.catalog import contract_versions, credit_drawdowns
from tally.store.uow import UnitOfWork, UnitOfWorkFactory

SUBSCRIBE_BATCH_MAX = 10_000
_IN_CHUNK = 900  # customers per IN list (SQLite bound-parameter limits; small statements)


def _parse(v: StoredVersion) -> ContractVersion:
    terms, effective_from = parse_contract(v.document, f"contract {v.code}@{v.version}")
    return ContractVersion(version_id=f"{v.code}@{v.version}", customer_id=v.code, version=v.version,
                           effective_from=effective_from, terms=terms)


def contract_in_force(uow: UnitOfWork, *, customer_id: str, period: Period, as_of: datetime) -> ContractVersion:
    """The contract version that describes `period`: the latest taking effect before the period ends,
    among those recorded by `as_of` (so re-rating later gives the same answer)."""
    found = contracts_in_force(uow, customer_ids=[customer_id], period=period, as_of=as_of).get(customer_id)
    if found is None:
        raise no_contract_in_force(customer_id, period=period, as_of=as_of)
    return found


def contracts_in_force(uow: UnitOfWork, *, customer_ids: Sequence[str], period: Period,
                       as_of: datetime) -> dict[str, ContractVersion]:
    """`contract_in_force` for many customers with one read; customers without one are left out."""
    best: dict[str, StoredVersion] = {}
    for v in load_versions(uow.connection, "contract", codes=list(customer_ids), recorded_by=as_of):
        if v.effective_from is None or v.effective_from >= period.end:
            continue
        held = best.get(v.code)
        if held is None or (v.effective_from, v.version) > (held.effective_from or held.recorded_at, held.version):
            best[v.code] = v
    return {code: _parse(v) for code, v in best.items()}


def no_contract_in_force(customer_id: str, *, period: Period, as_of: datetime) -> ContractNotFound:
    return ContractNotFound(customer_id, f"no contract version in force for {period.label} as of {as_of.isoformat()}")


def latest_contracts(uow: UnitOfWork, *, customer_ids: Sequence[str] | None = None) -> tuple[ContractVersion, ...]:
    rows = load_versions(uow.connection, "contract", codes=list(customer_ids) if customer_ids is not None else None)
    latest: dict[str, StoredVersion] = {}
    for v in rows:
        latest[v.code] = v
    return tuple(_parse(v) for v in latest.values())


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractHistoryEntry:
    version_id: str
    effective_from: datetime
    recorded_at: datetime
    digest: str
    document: Mapping[str, Any]


def contract_history(uow: UnitOfWork, *, customer_id: str) -> tuple[ContractHistoryEntry, ...]:
    """Every version of a customer's contract, oldest first, with the document it was applied from."""
    rows = load_versions(uow.connection, "contract", codes=[customer_id])
    if not rows:
        raise ContractNotFound(customer_id)
    return tuple(ContractHistoryEntry(version_id=f"{v.code}@{v.version}",
                                      effective_from=v.effective_from or v.recorded_at, recorded_at=v.recorded_at,
                                      digest=v.digest, document=v.document) for v in rows)


def billable_customers(uow: UnitOfWork, *, period: Period) -> tuple[str, ...]:
    """Customers whose contract in force has a subscription overlapping `period`, sorted."""
    rows = load_versions(uow.connection, "contract")
    in_force: dict[str, StoredVersion] = {}
    for v in rows:
        if v.effective_from is not None and v.effective_from < period.end:
            best = in_force.get(v.code)
            if best is None or (v.effective_from, v.version) > (best.effective_from or v.effective_from, best.version):
                in_force[v.code] = v
    out = []
    for code, v in in_force.items():
        contract = _parse(v)
        if any(s.covered(period) is not None for s in contract.terms.subscriptions):
            out.append(code)
    return tuple(sorted(out))


@dataclass(frozen=True, slots=True, kw_only=True)
class NewCustomer:
    """A self-serve customer subscribed to one plan from `start` (e.g. the demo's cust-0001…)."""

    customer_id: str
    plan_code: str
    start: datetime
    currency: str = "USD"
    name: str | None = None
    proration: str = "second"
    billing_anchor_day: int = 1
    subscription_id: str = "main"

    def document(self) -> dict[str, object]:
        return {"id": self.customer_id, "name": self.name or self.customer_id, "currency": self.currency,
                "billing_anchor": self.billing_anchor_day, "proration": self.proration,
                "effective_from": self.start.isoformat(),
                "subscriptions": [{"id": self.subscription_id, "plan": self.plan_code,
                                   "start": self.start.isoformat()}]}


def subscribe_customers(uow_factory: UnitOfWorkFactory, customers: Sequence[NewCustomer], *, actor: Actor,
                        clock: Clock) -> tuple[Change, ...]:
    """Create (or re-version) many customers' contracts in one transaction: all or nothing.

    Idempotent: a customer whose latest contract is the same document is left unchanged.
    """
    if len(customers) > SUBSCRIBE_BATCH_MAX:
        raise InvalidInput("customers", f"at most {SUBSCRIBE_BATCH_MAX} per call (subscribe_batch_max)")
    with uow_factory() as uow:
        changes = add_customers(uow, customers, actor=actor, at=clock.now())
        uow.commit()
    return changes


def add_customers(uow: UnitOfWork, customers: Sequence[NewCustomer], *, actor: Actor,
                  at: datetime) -> tuple[Change, ...]:
    """`subscribe_customers` inside the caller's unit of work (composable; never commits)."""
    if len(customers) > SUBSCRIBE_BATCH_MAX:
        raise InvalidInput("customers", f"at most {SUBSCRIBE_BATCH_MAX} per call (subscribe_batch_max)")
    return _write_contracts(uow, [c.document() for c in customers], actor=actor, at=at, path="customers")


def apply_contracts(uow_factory: UnitOfWorkFactory, documents: Sequence[dict[str, object]], *, actor: Actor,
                    clock: Clock) -> tuple[Change, ...]:
    """Contract documents (the `customers:` syntax) from the API: all or nothing."""
    with uow_factory() as uow:
        changes = _write_contracts(uow, documents, actor=actor, at=clock.now(), path="customers")
        uow.commit()
    return changes


def _write_contracts(uow: UnitOfWork, documents: Sequence[dict[str, object]], *, actor: Actor, at: datetime,
                     path: str) -> tuple[Change, ...]:
    catalog = load_catalog(uow.connection)
    ids = [str(d.get("id")) for d in documents]
    latest: dict[str, LatestContract] = {}
    for v in load_versions(uow.connection, "contract", codes=ids):
        latest[v.code] = LatestContract(version=v.version, effective_from=v.effective_from or v.recorded_at,
                                        digest=v.digest)
    changes, unchanged = plan_contract_changes(documents, latest=latest, products=catalog.products,
                                               plans=catalog.plans, path=path)
    insert_versions(uow.connection, [
        StoredVersion(kind="contract", code=c.customer_id, version=c.version, effective_from=c.effective_from,
                      recorded_at=at, digest=c.digest, document=c.document) for c in changes])
    for c in changes:
        uow.audit.record("contract.versioned", actor=actor, subject_type="contract",
                         subject_id=f"{c.customer_id}@{c.version}", at=at, after=c.document)
    return (*(Change(kind="contract", code=c.customer_id, action=Action.CREATE if c.created else Action.UPDATE,
                     version=c.version) for c in changes),
            *(Change(kind="contract", code=c, action=Action.UNCHANGED) for c in unchanged))


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditBalance:
    customer_id: str
    credit_id: str
    kind: CreditKind
    unit: str  # currency code, or the product code for credits in units
    granted: Decimal
    drawn: Decimal
    remaining: Decimal
    expires_at: datetime | None
    expired: bool


def _drawn(uow: UnitOfWork, customer_id: str, *, before: datetime | None = None) -> dict[str, Decimal]:
    """Drawn so far per credit: money for money credits, units for credits in units."""
    return credits_drawn(uow, customer_ids=[customer_id], before=before).get(customer_id, {})


def credits_drawn(uow: UnitOfWork, *, customer_ids: Sequence[str],
                  before: datetime | None = None) -> dict[str, dict[str, Decimal]]:
    """customer → credit → drawn (money for money credits, units for credits in units), counting drawdowns
    recorded strictly before `before` (None: all), for many customers with one read per chunk."""
    out: dict[str, dict[str, Decimal]] = {}
    wanted = sorted(set(customer_ids))
    for start in range(0, len(wanted), _IN_CHUNK):
        query = select(credit_drawdowns.c.customer_id, credit_drawdowns.c.credit_id, credit_drawdowns.c.kind,
                       credit_drawdowns.c.amount, credit_drawdowns.c.units).where(
            credit_drawdowns.c.customer_id.in_(wanted[start:start + _IN_CHUNK]))
        if before is not None:
            query = query.where(credit_drawdowns.c.drawn_at < before)
        for row in uow.connection.execute(query):
            drawn = row.units if row.kind == CreditKind.UNITS.value else row.amount
            per_credit = out.setdefault(row.customer_id, {})
            per_credit[row.credit_id] = per_credit.get(row.credit_id, Decimal(0)) + drawn
    return out


def credit_remaining(uow: UnitOfWork, *, customer_id: str, credits: Sequence[CreditGrant],
                     before: datetime | None) -> dict[str, Decimal]:
    """What is left of each credit, counting drawdowns recorded strictly before `before` (None: all)."""
    return credits_left(credits, _drawn(uow, customer_id, before=before))


def credits_left(credits: Sequence[CreditGrant], drawn: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Each credit's grant less what is drawn of it (`drawn`: credit id → drawn, as `credits_drawn` gives)."""
    return {c.credit_id: c.amount - drawn.get(c.credit_id, Decimal(0)) for c in credits}


def credit_balances(uow: UnitOfWork, *, customer_id: str, as_of: datetime) -> tuple[CreditBalance, ...]:
    """The customer's prepaid credits (from the latest contract) with what is drawn and left."""
    contracts = latest_contracts(uow, customer_ids=[customer_id])
    if not contracts:
        raise ContractNotFound(customer_id)
    terms = contracts[0].terms
    drawn = _drawn(uow, customer_id)
    return tuple(
        CreditBalance(customer_id=customer_id, credit_id=c.credit_id, kind=c.kind,
                      unit=terms.currency.code if c.kind is CreditKind.MONEY else (c.product_code or ""),
                      granted=c.amount, drawn=drawn.get(c.credit_id, Decimal(0)),
                      remaining=c.amount - drawn.get(c.credit_id, Decimal(0)), expires_at=c.expires_at,
                      expired=c.expires_at is not None and c.expires_at <= as_of)
        for c in sorted(terms.credits, key=lambda c: c.credit_id))


def breakage_report(uow: UnitOfWork, *, as_of: datetime) -> tuple[CreditBalance, ...]:
    """Expired credits with a remainder left (breakage), across all customers, by customer then credit."""
    out: list[CreditBalance] = []
    for contract in sorted(latest_contracts(uow), key=lambda c: c.customer_id):
        if not contract.terms.credits:
            continue
        out.extend(b for b in credit_balances(uow, customer_id=contract.customer_id, as_of=as_of)
                   if b.expired and b.remaining > 0)
    return tuple(out)


def record_credit_drawdowns(uow: UnitOfWork, *, invoice_id: str, drawdowns: Sequence[CreditDrawdown],
                            at: datetime) -> int:
    """Persist the drawdowns of an issued invoice. Idempotent per invoice: drawdowns already recorded
    for this invoice are not drawn twice. Refuses to take any credit below zero. Never commits."""
    if not invoice_id.strip():
        raise InvalidInput("invoice_id", "must not be empty")
    existing = {(r.customer_id, r.credit_id, r.line_key) for r in uow.connection.execute(
        select(credit_drawdowns.c.customer_id, credit_drawdowns.c.credit_id, credit_drawdowns.c.line_key)
        .where(credit_drawdowns.c.invoice_id == invoice_id))}
    rows = []
    by_customer: dict[str, list[CreditDrawdown]] = {}
    for d in drawdowns:
        if not d.customer_id:
            raise InvalidInput("drawdowns.customer_id", f"credit {d.credit_id}: drawdown carries no customer")
        if (d.customer_id, d.credit_id, d.line_key) in existing:
            continue
        by_customer.setdefault(d.customer_id, []).append(d)
    for customer_id, draws in sorted(by_customer.items()):
        # serialise concurrent drawdowns of one customer's credits (row lock on PostgreSQL)
        uow.connection.execute(select(contract_versions.c.version).where(
            contract_versions.c.customer_id == customer_id).with_for_update())
        contracts = latest_contracts(uow, customer_ids=[customer_id])
        grants = {c.credit_id: c for c in (contracts[0].terms.credits if contracts else ())}
        left = credit_remaining(uow, customer_id=customer_id, credits=tuple(grants.values()), before=None)
        for d in draws:
            grant = grants.get(d.credit_id)
            if grant is None:
                raise CreditOverdrawn(f"customer {customer_id} has no credit {d.credit_id}")
            drawn = d.units if d.units is not None else d.amount.amount
            if drawn < 0 or drawn > left[d.credit_id]:
                raise CreditOverdrawn(f"credit {d.credit_id} of {customer_id}: drawing {drawn} would go below zero "
                                      f"({left[d.credit_id]} left)")
            left[d.credit_id] -= drawn
            rows.append({"invoice_id": invoice_id, "customer_id": customer_id, "credit_id": d.credit_id,
                         "line_key": d.line_key, "kind": d.kind, "currency": d.amount.currency.code,
                         "amount": d.amount.amount, "units": d.units, "drawn_at": at})
    if rows:
        uow.connection.execute(insert(credit_drawdowns), rows)
        for row in rows:
            uow.audit.record("credit.drawn", actor=Actor.system(), subject_type="credit",
                             subject_id=f"{row['customer_id']}/{row['credit_id']}", at=at,
                             after={**row, "digest": digest(row)})
    return len(rows)


def restore_credit_drawdowns(uow: UnitOfWork, *, invoice_id: str, credit_note_id: str, at: datetime,
                             actor: Actor | None = None) -> int:
    """Give back every prepaid credit an invoice drew, because a full credit note (or a void) took the
    invoice back. Returns how many drawdowns were returned. Never commits.

    Append-only: each return is a new `credit_drawdowns` row recorded against the credit note, with the
    amount (and units) negated and `restores_seq` naming the drawdown it returns, so the balance is the
    plain sum of the rows and the history shows who drew and who gave back. `restores_seq` is unique:
    a second call (or a concurrent one) returns nothing twice. A credit that has expired by `at` is
    still returned (the drawdown is undone), and `breakage_report` then lists it as breakage.
    Only full credits return credits: a partial credit note leaves the credit-applied lines standing
    (invoicing refuses to credit them partially), so the credit is still used.
    """
    for name, value in (("invoice_id", invoice_id), ("credit_note_id", credit_note_id)):
        if not value.strip():
            raise InvalidInput(name, "must not be empty")
    if credit_note_id == invoice_id:
        raise InvalidInput("credit_note_id", f"must differ from the invoice id {invoice_id}")
    drawn = list(uow.connection.execute(
        select(credit_drawdowns).where(credit_drawdowns.c.invoice_id == invoice_id,
                                       credit_drawdowns.c.restores_seq.is_(None))
        .order_by(credit_drawdowns.c.seq)))
    if not drawn:
        return 0
    for customer_id in sorted({r.customer_id for r in drawn}):
        # the same per-customer lock as drawing, so a return and a draw never interleave
        uow.connection.execute(select(contract_versions.c.version).where(
            contract_versions.c.customer_id == customer_id).with_for_update())
    returned = {r.restores_seq for r in uow.connection.execute(
        select(credit_drawdowns.c.restores_seq).where(
            credit_drawdowns.c.restores_seq.in_([r.seq for r in drawn])))}
    rows = [{"invoice_id": credit_note_id, "customer_id": r.customer_id, "credit_id": r.credit_id,
             "line_key": r.line_key, "kind": r.kind, "currency": r.currency, "amount": -r.amount,
             "units": -r.units if r.units is not None else None, "drawn_at": at, "restores_seq": r.seq}
            for r in drawn if r.seq not in returned]
    if rows:
        uow.connection.execute(insert(credit_drawdowns), rows)
        who = actor or Actor.system()
        for row in rows:
            uow.audit.record("credit.restored", actor=who, subject_type="credit",
                             subject_id=f"{row['customer_id']}/{row['credit_id']}", at=at,
                             after={**row, "restored_from_invoice": invoice_id, "digest": digest(row)})
    return len(rows)


__all__ = [
    "NewCustomer",
    "UnitOfWork",
    "billable_customers",
    "breakage_report",
    "contract_history",
    "contract_in_force",
    "credit_balances",
    "record_credit_drawdowns",
    "restore_credit_drawdowns",
    "subscribe_customers",
]
