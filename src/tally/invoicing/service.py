"""Invoicing use cases: each opens a unit of work, loads, calls the pure core, writes, audits, commits.

Issued invoices and credit notes are never edited: paying and voiding change only the status; a
correction is a new document (credit note and/or adjustment invoice) pointing at the invoice.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from tally.audit.canonical import digest
from tally.audit.model import Actor, AuditEntry
from tally.clock import Clock
from tally.errors import InvalidInput, InvariantViolation
from tally.invoicing import corrections, lifecycle, metrics
from tally.invoicing.build import draft_invoice, invoice_lines, lines_digest
from tally.invoicing.errors import (
    CorrectionMovesCredit,
    CreditNoteNotFound,
    IllegalTransition,
    InvoiceNotFound,
    NothingToCorrect,
)
from tally.invoicing.model import (
    CreditNote,
    CreditNoteLine,
    DocumentKind,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    IssuedDocument,
    IssuedDocumentLine,
    LineDifference,
    totals_of,
)
from tally.invoicing.numbering import format_number, series_for
from tally.invoicing.ports import CustomerRatings
from tally.invoicing.store import CreditNoteStore, DocumentCounters, InvoiceStore
from tally.invoicing.tax import tax_at
from tally.invoicing.wiring import BillingDeps
from tally.money import Money, Rounding
from tally.period import Period
from tally.rating.model import LineKind, RatingResult
from tally.store.uow import UnitOfWork, UnitOfWorkFactory

TAX_ROUNDING = Rounding.HALF_EVEN
LIST_LIMIT_MAX = 1000


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def _summary(invoice: Invoice) -> dict[str, object]:
    """The audit image of an invoice: what identifies it and its amounts (lines are digested)."""
    return {"invoice_id": invoice.invoice_id, "number": invoice.number, "status": invoice.status.value,
            "customer_id": invoice.customer_id, "billing_period": invoice.billing_period,
            "currency": invoice.currency.code, "subtotal": invoice.totals.subtotal.amount,
            "tax_total": invoice.totals.tax_total.amount, "total": invoice.totals.total.amount,
            "lines_digest": invoice.lines_digest, "inputs_digest": invoice.inputs_digest}


# --- loading ---


def _load(store: InvoiceStore, ref: str, *, for_update: bool = False) -> Invoice:
    """An invoice by number (TLY-2026-000001) or by id (inv_…)."""
    found = store.get(ref, for_update=for_update) or store.by_number(ref, for_update=for_update)
    if found is None:
        raise InvoiceNotFound(ref)
    return found


def get_invoice(uow_factory: UnitOfWorkFactory, ref: str) -> Invoice:
    with uow_factory() as uow:
        return _load(InvoiceStore(uow.connection), ref)


def list_invoices(uow_factory: UnitOfWorkFactory, *, period: Period | None = None, customer_id: str | None = None,
                  status: str | None = None, limit: int = 100, offset: int = 0) -> tuple[Invoice, ...]:
    if not 1 <= limit <= LIST_LIMIT_MAX:
        raise InvalidInput("limit", f"must be 1..{LIST_LIMIT_MAX} (list_limit_max), got {limit}")
    if status is not None and status not in {s.value for s in InvoiceStatus}:
        raise InvalidInput("status", f"must be one of {', '.join(s.value for s in InvoiceStatus)}, got {status!r}")
    with uow_factory() as uow:
        return InvoiceStore(uow.connection).list(period=period, customer_id=customer_id, status=status, limit=limit,
                                                 offset=offset)


def get_credit_note(uow_factory: UnitOfWorkFactory, number: str) -> CreditNote:
    with uow_factory() as uow:
        found = CreditNoteStore(uow.connection).by_number(number)
    if found is None:
        raise CreditNoteNotFound(number)
    return found


def list_credit_notes(uow_factory: UnitOfWorkFactory, *, invoice: str | None = None, period: Period | None = None,
                      limit: int = 100, offset: int = 0) -> tuple[CreditNote, ...]:
    if not 1 <= limit <= LIST_LIMIT_MAX:
        raise InvalidInput("limit", f"must be 1..{LIST_LIMIT_MAX} (list_limit_max), got {limit}")
    with uow_factory() as uow:
        notes = CreditNoteStore(uow.connection)
        if invoice is not None:
            return notes.for_invoice(_load(InvoiceStore(uow.connection), invoice).invoice_id)
        return notes.list(period=period, limit=limit, offset=offset)


# --- drafts and issuing (composable inside a billing run's transaction) ---


def rate(deps: BillingDeps, uow: UnitOfWork, *, customer_id: str, period: Period, as_of: datetime,
         ratings: CustomerRatings | None = None) -> RatingResult:
    """Rate one customer (from a billing run's batch `ratings`, when given: they were read as of `as_of`)."""
    result = (ratings.rate(customer_id) if ratings is not None
              else deps.rater.rate_customer(uow, customer_id=customer_id, period=period, as_of=as_of))
    if result.customer_id != customer_id or result.billing_period != period:
        raise InvariantViolation(f"rater answered for {result.customer_id} {result.billing_period.label}, "
                                 f"asked for {customer_id} {period.label}")
    return result


def refresh_draft(uow: UnitOfWork, deps: BillingDeps, draft: Invoice, *, at: datetime, actor: Actor,
                  ratings: CustomerRatings | None = None) -> Invoice:
    """Re-rate a draft with the usage received so far; store it only if anything changed."""
    result = rate(deps, uow, customer_id=draft.customer_id, period=draft.billing_period, as_of=at, ratings=ratings)
    fresh = draft_invoice(result, invoice_id=draft.invoice_id, tax=deps.tax, created_at=draft.created_at,
                          rated_as_of=at, kind=draft.kind, correction_no=draft.correction_no, corrects=draft.corrects)
    if fresh.lines_digest == draft.lines_digest and fresh.inputs_digest == draft.inputs_digest:
        return draft
    InvoiceStore(uow.connection).replace_draft(fresh, at=at)
    uow.audit.record("invoice.recomputed", actor=actor, subject_type="invoice", subject_id=draft.invoice_id, at=at,
                     before=_summary(draft), after=_summary(fresh))
    return fresh


def lock_series(uow: UnitOfWork, deps: BillingDeps, at: datetime, *kinds: DocumentKind) -> None:
    """Take the numbering locks first, before any invoice row: one lock order everywhere, no deadlock."""
    counters = DocumentCounters(uow.connection)
    for kind in kinds or (DocumentKind.INVOICE,):
        counters.lock(series_for(deps.config.number_prefix, kind, at))


def refresh_invoice(uow_factory: UnitOfWorkFactory, ref: str, *, deps: BillingDeps, actor: Actor,
                    clock: Clock) -> Invoice:
    """Re-rate a draft now (late usage); issued invoices refuse: they are corrected, never recomputed."""
    at = clock.now()
    with uow_factory() as uow:
        draft = _load(InvoiceStore(uow.connection), ref, for_update=True)
        if not lifecycle.can_recompute(draft):
            raise IllegalTransition(draft.label, draft.status.value, "recompute (use rerate for issued invoices)")
        fresh = refresh_draft(uow, deps, draft, at=at, actor=actor)
        uow.commit()
    return fresh


def issue_in(uow: UnitOfWork, deps: BillingDeps, draft: Invoice, *, at: datetime, actor: Actor,
             stored: bool) -> Invoice:
    """Number and freeze a draft in this transaction; persist its credit drawdowns; audit it."""
    [issued] = issue_many(uow, deps, (draft,), at=at, actor=actor, stored=stored)
    return issued


def issue_many(uow: UnitOfWork, deps: BillingDeps, drafts: Sequence[Invoice], *, at: datetime, actor: Actor,
               stored: bool = False) -> tuple[Invoice, ...]:
    """Number and freeze drafts in this transaction, in the order given; persist their credit drawdowns;
    audit each. A billing batch issues its new invoices at once: one counter update, one insert for the
    invoices, one for their lines, one for the audit records.

    The numbers are consecutive and commit or roll back with the invoices, so they stay gapless.
    `stored` drafts are already in the database and are marked issued one by one.
    """
    if not drafts:
        return ()
    series = series_for(deps.config.number_prefix, DocumentKind.INVOICE, at)
    first = DocumentCounters(uow.connection).take(series, len(drafts))
    issued = tuple(lifecycle.issue(draft, series=series, number=format_number(series, first + offset),
                                   issued_at=at, payment_terms_days=deps.config.terms_days_for(draft.customer_id))
                   for offset, draft in enumerate(drafts))
    store = InvoiceStore(uow.connection)
    if stored:
        for invoice in issued:
            store.mark_issued(invoice, at=at)
    else:
        store.add_many(issued, at=at)
    for invoice in issued:
        if invoice.credit_balances:  # most invoices draw no credit: no read for them
            deps.credits.record_credit_drawdowns(uow, invoice_id=invoice.invoice_id,
                                                 drawdowns=invoice.credit_balances, at=at)
    uow.audit.record_many("invoice.issued", actor=actor, subject_type="invoice", at=at,
                          entries=[AuditEntry(subject_id=invoice.invoice_id, after=_summary(invoice))
                                   for invoice in issued])
    # counted once everything is written: a batch that fails above is billed again one by one
    metrics.invoices_issued_total.inc(len(issued))
    return issued


def add_drafts(uow: UnitOfWork, drafts: Sequence[Invoice], *, at: datetime, actor: Actor) -> None:
    """Store new drafts of a billing batch and audit each, with one insert per table."""
    if not drafts:
        return
    InvoiceStore(uow.connection).add_many(drafts, at=at)
    uow.audit.record_many("invoice.drafted", actor=actor, subject_type="invoice", at=at, entries=[
        AuditEntry(subject_id=draft.invoice_id,
                   after={"customer_id": draft.customer_id, "billing_period": draft.billing_period,
                          "total": draft.totals.total.amount, "lines_digest": draft.lines_digest})
        for draft in drafts])
    metrics.invoices_drafted_total.inc(len(drafts))


def issue_invoice(uow_factory: UnitOfWorkFactory, ref: str, *, deps: BillingDeps, actor: Actor, clock: Clock,
                  recompute: bool = True) -> Invoice:
    """Issue a draft: recompute it with the latest usage, assign the next gapless number, freeze it."""
    at = clock.now()
    with uow_factory() as uow:
        lock_series(uow, deps, at, DocumentKind.INVOICE)
        draft = _load(InvoiceStore(uow.connection), ref, for_update=True)
        if draft.status is not InvoiceStatus.DRAFT:
            raise IllegalTransition(draft.label, draft.status.value, "issue")
        if recompute and draft.kind is InvoiceKind.REGULAR:
            draft = refresh_draft(uow, deps, draft, at=at, actor=actor)
        issued = issue_in(uow, deps, draft, at=at, actor=actor, stored=True)
        uow.commit()
    return issued


def pay_invoice(uow_factory: UnitOfWorkFactory, ref: str, *, actor: Actor, clock: Clock,
                paid_at: datetime | None = None) -> Invoice:
    at = clock.now()
    with uow_factory() as uow:
        store = InvoiceStore(uow.connection)
        invoice = _load(store, ref, for_update=True)
        paid = lifecycle.pay(invoice, paid_at=paid_at or at)
        store.change_status(paid, previous=invoice.status, at=at)
        uow.audit.record("invoice.paid", actor=actor, subject_type="invoice", subject_id=invoice.invoice_id, at=at,
                         before={"status": invoice.status.value}, after={"status": paid.status.value,
                                                                         "paid_at": paid.paid_at})
        uow.commit()
    return paid


@dataclass(frozen=True, slots=True, kw_only=True)
class Voided:
    invoice: Invoice
    credit_note: CreditNote | None


def void_invoice(uow_factory: UnitOfWorkFactory, ref: str, *, deps: BillingDeps, reason: str, actor: Actor,
                 clock: Clock) -> Voided:
    """Void an issued, unpaid invoice: it keeps its number, and a full credit note reverses what is left."""
    if not reason.strip():
        raise InvalidInput("reason", "say why the invoice is voided")
    at = clock.now()
    with uow_factory() as uow:
        lock_series(uow, deps, at, DocumentKind.CREDIT_NOTE)
        store = InvoiceStore(uow.connection)
        invoice = _load(store, ref, for_update=True)
        voided = lifecycle.void(invoice, voided_at=at)
        billed = _billed(uow, invoice)
        note = None
        lines = corrections.full_credit_lines(billed, rounding=TAX_ROUNDING)
        # anything still billed is credited, even when it nets to zero (usage paid by prepaid credit):
        # the note reverses the revenue and gives the credit back
        if any(not line.amount.is_zero() for line in lines):
            note = _issue_credit_note(uow, deps, invoice, lines, billed, reason=f"void: {reason}", at=at, actor=actor,
                                      full=True)
            _return_credits(uow, deps, invoice, note, at=at, actor=actor)
        store.change_status(voided, previous=invoice.status, at=at)
        uow.audit.record("invoice.voided", actor=actor, subject_type="invoice", subject_id=invoice.invoice_id, at=at,
                         before={"status": invoice.status.value},
                         after={"status": voided.status.value, "reason": reason,
                                "credit_note": note.number if note else None})
        uow.commit()
    return Voided(invoice=voided, credit_note=note)


# --- corrections ---


def _billed(uow: UnitOfWork, invoice: Invoice) -> dict[str, corrections.BilledLine]:
    store = InvoiceStore(uow.connection)
    adjustments = [a for a in store.adjustments_of(invoice.invoice_id)
                   if a.status in (InvoiceStatus.ISSUED, InvoiceStatus.PAID)]
    credited = [line for note in CreditNoteStore(uow.connection).for_invoice(invoice.invoice_id)
                for line in note.lines]
    return corrections.billed_lines(invoice.lines, [ln for a in adjustments for ln in a.lines], credited)


def _issue_credit_note(uow: UnitOfWork, deps: BillingDeps, invoice: Invoice, lines: tuple[CreditNoteLine, ...],
                       billed: Mapping[str, corrections.BilledLine], *, reason: str, at: datetime,
                       actor: Actor, full: bool = False) -> CreditNote:
    corrections.check_credit(lines, billed, invoice.currency, full=full)
    if invoice.number is None:
        raise IllegalTransition(invoice.label, invoice.status.value, "credit")
    series = series_for(deps.config.number_prefix, DocumentKind.CREDIT_NOTE, at)
    sequence = DocumentCounters(uow.connection).next(series)
    note = CreditNote(
        credit_note_id=new_id("cn"), invoice_id=invoice.invoice_id, invoice_number=invoice.number,
        customer_id=invoice.customer_id, currency=invoice.currency, billing_period=invoice.billing_period,
        reason=reason, series=series, number=format_number(series, sequence), issued_at=at, lines=lines,
        totals=totals_of(tuple(corrections_as_lines(lines)), invoice.currency))
    CreditNoteStore(uow.connection).add(note)
    uow.audit.record("credit_note.issued", actor=actor, subject_type="credit_note", subject_id=note.credit_note_id,
                     at=at, after={"number": note.number, "invoice": invoice.number, "reason": reason,
                                   "subtotal": note.totals.subtotal.amount, "tax_total": note.totals.tax_total.amount,
                                   "total": note.totals.total.amount})
    metrics.credit_notes_issued_total.inc()
    return note


def _return_credits(uow: UnitOfWork, deps: BillingDeps, invoice: Invoice, note: CreditNote, *, at: datetime,
                    actor: Actor) -> None:
    """A full credit note takes the whole invoice back, its credit-applied lines included, so the prepaid
    credits it drew go back to the customer in the same transaction. The ledger posts the note as the
    mirror of those lines (crediting the prepaid-credit liability), so contracts and ledger agree."""
    deps.credits.restore_credit_drawdowns(uow, invoice_id=invoice.invoice_id, credit_note_id=note.credit_note_id,
                                          at=at, actor=actor)


def corrections_as_lines(lines: tuple[CreditNoteLine, ...]) -> tuple[InvoiceLine, ...]:
    return tuple(InvoiceLine(line_no=ln.line_no, line_key=ln.line_key, kind=ln.kind, product_code=ln.product_code,
                             description=ln.description, service_period=ln.service_period, quantity=ln.quantity,
                             unit=ln.unit, unit_price=None, amount=ln.amount, tax=ln.tax, explanation=(),
                             price_version_id=None, revenue_category=ln.revenue_category) for ln in lines)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rerate:
    """What re-rating an issued invoice's period shows, before anything is issued."""

    invoice: Invoice
    differences: tuple[LineDifference, ...]
    credit_lines: tuple[CreditNoteLine, ...]  # what a correction would credit
    adjustment_lines: tuple[InvoiceLine, ...]  # what a correction would bill on an adjustment invoice
    rated_as_of: datetime

    @property
    def net_delta(self) -> Money:
        total = Money.zero(self.invoice.currency)
        for diff in self.differences:
            total = total + diff.amount_delta
        return total


def _rerate_in(uow: UnitOfWork, deps: BillingDeps, invoice: Invoice, *, at: datetime) -> tuple[Rerate, RatingResult]:
    if invoice.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PAID) or invoice.kind is not InvoiceKind.REGULAR:
        raise IllegalTransition(invoice.label, f"{invoice.status.value} {invoice.kind.value}", "re-rate")
    result = rate(deps, uow, customer_id=invoice.customer_id, period=invoice.billing_period, as_of=at)
    recomputed = invoice_lines(result, deps.tax)
    billed = _billed(uow, invoice)
    diffs = corrections.differences(billed, recomputed, invoice.currency)
    credit, adjustment = corrections.correction_lines(diffs, billed, {ln.line_key: ln for ln in recomputed},
                                                      invoice.currency, rounding=TAX_ROUNDING)
    return Rerate(invoice=invoice, differences=diffs, credit_lines=credit, adjustment_lines=adjustment,
                  rated_as_of=at), result


def rerate_invoice(uow_factory: UnitOfWorkFactory, ref: str, *, deps: BillingDeps, clock: Clock) -> Rerate:
    """Recompute an issued invoice's period now and show the difference. Writes nothing."""
    with uow_factory() as uow:
        invoice = _load(InvoiceStore(uow.connection), ref)
        rerated, _ = _rerate_in(uow, deps, invoice, at=clock.now())
    return rerated


@dataclass(frozen=True, slots=True, kw_only=True)
class Correction:
    invoice: Invoice
    credit_note: CreditNote | None
    adjustment: Invoice | None
    differences: tuple[LineDifference, ...]


def issue_correction(uow_factory: UnitOfWorkFactory, ref: str, *, deps: BillingDeps, reason: str, actor: Actor,
                     clock: Clock) -> Correction:
    """Re-rate and issue the difference: a credit note for what was over-billed, an adjustment invoice
    for what was under-billed. The invoice itself is never edited."""
    if not reason.strip():
        raise InvalidInput("reason", "say why the invoice is corrected")
    at = clock.now()
    with uow_factory() as uow:
        lock_series(uow, deps, at, DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE)
        store = InvoiceStore(uow.connection)
        invoice = _load(store, ref, for_update=True)
        rerated, result = _rerate_in(uow, deps, invoice, at=at)
        if not rerated.differences:
            raise NothingToCorrect(f"re-rating {invoice.label} gives the same lines; nothing to correct")
        moved = sorted({ln.line_key for ln in rerated.credit_lines if ln.kind is LineKind.CREDIT_APPLIED}
                       | {ln.line_key for ln in rerated.adjustment_lines if ln.kind is LineKind.CREDIT_APPLIED})
        if moved:
            raise CorrectionMovesCredit(
                f"re-rating {invoice.label} changes the prepaid credit applied (line {', '.join(moved)}); "
                "corrections never draw or return credits: credit the invoice in full instead, which returns them")
        note = None
        if rerated.credit_lines:
            note = _issue_credit_note(uow, deps, invoice, rerated.credit_lines, _billed(uow, invoice),
                                      reason=reason, at=at, actor=actor)
        adjustment = None
        if rerated.adjustment_lines:
            lines = rerated.adjustment_lines
            draft = Invoice(
                invoice_id=new_id("inv"), kind=InvoiceKind.ADJUSTMENT, correction_no=store.next_correction_no(invoice),
                corrects=invoice.invoice_id, customer_id=invoice.customer_id, currency=invoice.currency,
                billing_period=invoice.billing_period, status=InvoiceStatus.DRAFT, lines=lines,
                totals=totals_of(lines, invoice.currency), inputs=result.inputs, inputs_digest=digest(result.inputs),
                lines_digest=lines_digest(lines), credit_balances=(), rated_as_of=at, created_at=at)
            adjustment = issue_in(uow, deps, draft, at=at, actor=actor, stored=False)
        uow.audit.record("invoice.corrected", actor=actor, subject_type="invoice", subject_id=invoice.invoice_id,
                         at=at, after={"reason": reason, "credit_note": note.number if note else None,
                                       "adjustment": adjustment.number if adjustment else None})
        uow.commit()
    return Correction(invoice=invoice, credit_note=note, adjustment=adjustment, differences=rerated.differences)


def credit_invoice(uow_factory: UnitOfWorkFactory, ref: str, *, deps: BillingDeps, reason: str, actor: Actor,
                   clock: Clock, line_amounts: Mapping[str, Decimal] | None = None) -> CreditNote:
    """Issue a credit note against an issued invoice: in full (no `line_amounts`) or for the given net
    amount per line key. Never more than is left to credit."""
    if not reason.strip():
        raise InvalidInput("reason", "say why the invoice is credited")
    at = clock.now()
    with uow_factory() as uow:
        lock_series(uow, deps, at, DocumentKind.CREDIT_NOTE)
        invoice = _load(InvoiceStore(uow.connection), ref, for_update=True)
        if invoice.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PAID):
            raise IllegalTransition(invoice.label, invoice.status.value, "credit")
        billed = _billed(uow, invoice)
        if line_amounts is None:
            lines = corrections.full_credit_lines(billed, rounding=TAX_ROUNDING)
        else:
            lines = _partial_lines(invoice, billed, line_amounts)
        note = _issue_credit_note(uow, deps, invoice, lines, billed, reason=reason, at=at, actor=actor,
                                  full=line_amounts is None)
        if line_amounts is None:
            _return_credits(uow, deps, invoice, note, at=at, actor=actor)
        uow.commit()
    return note


def _partial_lines(invoice: Invoice, billed: Mapping[str, corrections.BilledLine],
                   line_amounts: Mapping[str, Decimal]) -> tuple[CreditNoteLine, ...]:
    out: list[CreditNoteLine] = []
    for key, amount in line_amounts.items():
        line = billed.get(key)
        if line is None:
            raise InvalidInput("line", f"invoice {invoice.label} has no line {key!r}", item=key)
        if line.kind is LineKind.CREDIT_APPLIED:
            # a prepaid credit goes back to the customer only when the whole invoice is credited (or
            # voided); crediting its line alone would move the ledger's liability but not the balance
            raise InvalidInput("line", f"invoice {invoice.label}: line {key!r} applies a prepaid credit; it is "
                               "returned only by a full credit note or a void", item=key)
        credit = Money(amount, invoice.currency)
        if not credit.is_rounded:
            raise InvalidInput("amount", f"{amount} is not in {invoice.currency.code} minor units", item=key)
        quantity = Decimal(0) if line.amount.is_zero() else line.quantity * amount / line.amount.amount
        out.append(CreditNoteLine(
            line_no=len(out) + 1, invoice_line_no=line.invoice_line_no, line_key=key, kind=line.kind,
            product_code=line.product_code, description=line.description, service_period=line.service_period,
            quantity=quantity, unit=line.unit, amount=credit,
            tax=tax_at(line.tax_rate, line.tax_jurisdiction, credit, rounding=TAX_ROUNDING),
            revenue_category=line.revenue_category))
    return tuple(out)


# --- provable recomputation ---


@dataclass(frozen=True, slots=True, kw_only=True)
class Verification:
    number: str
    invoice_id: str
    matches: bool
    differences: tuple[LineDifference, ...]
    problems: tuple[str, ...]  # stored records that break a rule (digest, totals, inputs)


def _verify_in(uow: UnitOfWork, deps: BillingDeps, invoice: Invoice) -> Verification:
    problems: list[str] = []
    if lines_digest(invoice.lines) != invoice.lines_digest:
        problems.append("stored lines do not match their digest")
    try:
        totals = totals_of(invoice.lines, invoice.currency)
        if totals != invoice.totals:
            problems.append(f"stored totals {invoice.totals.total} differ from the sum of lines {totals.total}")
    except InvariantViolation as exc:
        problems.append(exc.detail)
    for line in invoice.lines:
        expected = tax_at(line.tax.rate, line.tax.jurisdiction, line.amount, rounding=TAX_ROUNDING).amount
        if expected != line.tax.amount:
            problems.append(f"line {line.line_no}: tax {line.tax.amount} is not {line.amount} × {line.tax.rate}")
    if invoice.kind is not InvoiceKind.REGULAR:
        # an adjustment invoice is the difference of two ratings; the regular invoice it corrects is verified.
        return Verification(number=invoice.number or invoice.invoice_id, invoice_id=invoice.invoice_id,
                            matches=not problems, differences=(), problems=tuple(problems))
    result = deps.rater.rate_customer_from_events(uow, customer_id=invoice.customer_id,
                                                  period=invoice.billing_period, as_of=invoice.rated_as_of)
    recomputed = invoice_lines(result, deps.tax)
    billed = corrections.billed_lines(invoice.lines, (), ())
    diffs = corrections.differences(billed, recomputed, invoice.currency)
    for field in ("contract_version_id", "price_book_version_id", "engine_version"):
        stored, now = getattr(invoice.inputs, field), getattr(result.inputs, field)
        if stored != now:
            problems.append(f"{field}: invoice used {stored}, recomputation used {now}")
    return Verification(number=invoice.number or invoice.invoice_id, invoice_id=invoice.invoice_id,
                        matches=not diffs and not problems, differences=diffs, problems=tuple(problems))


def verify_invoice(uow_factory: UnitOfWorkFactory, ref: str, *, deps: BillingDeps) -> Verification:
    """Recompute an issued invoice from raw events (usage received up to when it was rated) and compare."""
    with uow_factory() as uow:
        invoice = _load(InvoiceStore(uow.connection), ref)
        if invoice.status is InvoiceStatus.DRAFT:
            raise IllegalTransition(invoice.label, invoice.status.value, "verify")
        return _verify_in(uow, deps, invoice)


def verify_all(uow_factory: UnitOfWorkFactory, *, deps: BillingDeps, period: Period | None = None,
               batch_size: int = 200) -> tuple[Verification, ...]:
    """Verify every issued (or paid, or void) invoice, optionally of one billing period."""
    out: list[Verification] = []
    offset = 0
    while True:
        with uow_factory() as uow:
            batch = [i for i in InvoiceStore(uow.connection).list(period=period, limit=batch_size, offset=offset)]
            out.extend(_verify_in(uow, deps, i) for i in batch if i.status is not InvoiceStatus.DRAFT)
        if len(batch) < batch_size:
            return tuple(out)
        offset += batch_size


# --- the running month ---


def upcoming_invoice(uow_factory: UnitOfWorkFactory, customer_id: str, *, deps: BillingDeps,
                     clock: Clock) -> Invoice:
    """The customer's invoice for the month so far (not stored, not numbered)."""
    now = clock.now().astimezone(UTC)
    period = Period.month(f"{now.year:04d}-{now.month:02d}")
    with uow_factory() as uow:
        result = rate(deps, uow, customer_id=customer_id, period=period, as_of=now)
    return draft_invoice(result, invoice_id="upcoming", tax=deps.tax, created_at=now, rated_as_of=now)


# --- the seam to the ledger ---


def issued_documents(uow: UnitOfWork, *, issued_in: Period) -> tuple[IssuedDocument, ...]:
    """Invoices and credit notes issued in `issued_in` (by issued_at), in issue order.

    Void invoices are included (they were issued; the void's credit note reverses them), drafts never.
    """
    out: list[IssuedDocument] = []
    offset, page = 0, 1000
    store = InvoiceStore(uow.connection)
    while True:
        batch = store.list(issued_in=issued_in, limit=page, offset=offset)
        for inv in batch:
            if inv.number is None or inv.issued_at is None:
                continue
            out.append(IssuedDocument(
                document_id=inv.invoice_id, kind=DocumentKind.INVOICE, number=inv.number,
                customer_id=inv.customer_id, currency=inv.currency, issued_at=inv.issued_at,
                billing_period=inv.billing_period, corrects=inv.corrects,
                lines=tuple(IssuedDocumentLine(
                    line_no=ln.line_no, kind=ln.kind, product_code=ln.product_code,
                    revenue_category=ln.revenue_category, service_period=ln.service_period, quantity=ln.quantity,
                    amount=ln.amount, tax_amount=ln.tax.amount) for ln in inv.lines),
                subtotal=inv.totals.subtotal, tax_total=inv.totals.tax_total, total=inv.totals.total))
        if len(batch) < page:
            break
        offset += page
    offset = 0
    notes = CreditNoteStore(uow.connection)
    while True:
        batch_notes = notes.list(issued_in=issued_in, limit=page, offset=offset)
        for note in batch_notes:
            out.append(IssuedDocument(
                document_id=note.credit_note_id, kind=DocumentKind.CREDIT_NOTE, number=note.number,
                customer_id=note.customer_id, currency=note.currency, issued_at=note.issued_at,
                billing_period=note.billing_period, corrects=note.invoice_id,
                lines=tuple(IssuedDocumentLine(
                    line_no=ln.line_no, kind=ln.kind, product_code=ln.product_code,
                    revenue_category=ln.revenue_category, service_period=ln.service_period, quantity=ln.quantity,
                    amount=ln.amount, tax_amount=ln.tax.amount) for ln in note.lines),
                subtotal=note.totals.subtotal, tax_total=note.totals.tax_total, total=note.totals.total))
        if len(batch_notes) < page:
            break
        offset += page
    out.sort(key=lambda d: (d.issued_at, d.kind.value, d.number))
    return tuple(out)


def export_period(uow_factory: UnitOfWorkFactory, period: Period) -> tuple[tuple[Invoice, ...], tuple[CreditNote, ...]]:
    """Every invoice (any status) and credit note of one billing period."""
    with uow_factory() as uow:
        invoices: list[Invoice] = []
        offset = 0
        while True:
            batch = InvoiceStore(uow.connection).list(period=period, limit=1000, offset=offset)
            invoices.extend(batch)
            if len(batch) < 1000:
                break
            offset += 1000
        notes = CreditNoteStore(uow.connection).list(period=period, limit=1_000_000)
    return tuple(invoices), notes

