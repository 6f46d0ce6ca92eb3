"""Billing runs: bill every billable customer of a period that has ended.

Idempotent and resumable: one regular invoice per (customer, period) is enforced by a unique key,
and work is committed in batches, so a re-run (or a run resumed after a crash) finds what exists and
never bills twice. A customer that fails is recorded with its error and the run goes on; the run
then reports the failures (the doors exit non-zero). Customers are processed in batches: memory
does not grow with their number beyond their ids.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.exc import DBAPIError, IntegrityError

from tally.audit.model import Actor
from tally.clock import Clock
from tally.errors import InvalidInput, TallyError
from tally.invoicing import metrics, service
from tally.invoicing.build import draft_invoice
from tally.invoicing.errors import PeriodNotEnded
from tally.invoicing.model import DocumentKind, Invoice, InvoiceStatus
from tally.invoicing.ports import CustomerRatings
from tally.invoicing.store import BillingRunStore, InvoiceStore
from tally.invoicing.wiring import BillingDeps
from tally.period import Period
from tally.store.uow import UnitOfWork, UnitOfWorkFactory

BATCH_SIZE_MAX = 5000
CUSTOMERS_LIMIT_MAX = 1_000_000


class Outcome(StrEnum):
    DRAFTED = "drafted"  # a new draft
    RECOMPUTED = "recomputed"  # an existing draft followed late usage
    ISSUED = "issued"  # issued in this run
    UNCHANGED = "unchanged"  # already issued, or a draft with nothing new
    EMPTY = "empty"  # nothing to bill this period: no invoice


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerFailure:
    customer_id: str
    code: str
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BillingRunReport:
    run_id: str | None  # None for a dry run (nothing written)
    period: Period
    dry_run: bool
    issue: bool
    customers_seen: int
    counts: dict[str, int]
    failures: tuple[CustomerFailure, ...]
    duration_s: float  # float-ok: a duration

    @property
    def issued(self) -> int:
        return self.counts.get(Outcome.ISSUED.value, 0)

    @property
    def ok(self) -> bool:
        return not self.failures


Progress = Callable[[int, int], None]  # (customers done, customers total)


def run_billing(uow_factory: UnitOfWorkFactory, *, period: Period, deps: BillingDeps, actor: Actor, clock: Clock,
                customers: Sequence[str] | None = None, issue: bool = False, dry_run: bool = False,
                progress: Progress | None = None, batch_size: int = 200) -> BillingRunReport:
    """Bill `period` for every billable customer (or only `customers`): create drafts, or issue with `issue`.

    `dry_run` rates and builds every invoice but writes nothing.
    """
    started = time.perf_counter()
    now = clock.now()
    if period.end > now:
        raise PeriodNotEnded(period.label, period.end.isoformat())
    if not 1 <= batch_size <= BATCH_SIZE_MAX:
        raise InvalidInput("batch_size", f"must be 1..{BATCH_SIZE_MAX} (batch_size_max), got {batch_size}")
    if customers is not None:
        if not customers:
            raise InvalidInput("customers", "name at least one customer, or leave it out to bill all")
        if len(customers) > CUSTOMERS_LIMIT_MAX:
            raise InvalidInput("customers", f"at most {CUSTOMERS_LIMIT_MAX} (customers_limit_max)")
        selected = tuple(dict.fromkeys(customers))
    else:
        with uow_factory() as uow:
            selected = deps.customers.billable_customers(uow, period=period)
    run_id = None if dry_run else service.new_id("run")
    if run_id is not None:
        with uow_factory() as uow:
            BillingRunStore(uow.connection).start(run_id=run_id, period=period, issue=issue, actor=str(actor), at=now)
            uow.audit.record("billing_run.started", actor=actor, subject_type="billing_run", subject_id=run_id,
                             at=now, after={"period": period, "issue": issue, "customers": len(selected)})
            uow.commit()
    counts: dict[str, int] = {o.value: 0 for o in Outcome}
    failures: list[CustomerFailure] = []
    done = 0
    for start in range(0, len(selected), batch_size):
        batch = selected[start:start + batch_size]
        batch_failures = _bill_batch(uow_factory, batch, period=period, deps=deps, actor=actor, at=clock.now(),
                                     issue=issue, dry_run=dry_run, counts=counts)
        failures.extend(batch_failures)
        if run_id is not None and batch_failures:
            with uow_factory() as uow:
                BillingRunStore(uow.connection).add_failures(
                    run_id, [(f.customer_id, f.code, f.detail) for f in batch_failures], at=clock.now())
                uow.commit()
        done += len(batch)
        if progress is not None:
            progress(done, len(selected))
    duration = time.perf_counter() - started
    if run_id is not None:
        with uow_factory() as uow:
            BillingRunStore(uow.connection).finish(
                run_id=run_id, at=clock.now(), customers_seen=len(selected),
                drafted=counts[Outcome.DRAFTED] + counts[Outcome.RECOMPUTED], issued=counts[Outcome.ISSUED],
                unchanged=counts[Outcome.UNCHANGED] + counts[Outcome.EMPTY], failed=len(failures))
            uow.audit.record("billing_run.finished", actor=actor, subject_type="billing_run", subject_id=run_id,
                             at=clock.now(), after={"counts": counts, "failed": [f.customer_id for f in failures]})
            uow.commit()
        metrics.billing_run_duration_seconds.observe(duration)
        metrics.billing_run_invoices_issued.observe(counts[Outcome.ISSUED])
        metrics.billing_runs_total.labels("failed" if failures else "ok").inc()
    return BillingRunReport(run_id=run_id, period=period, dry_run=dry_run, issue=issue,
                            customers_seen=len(selected), counts=counts, failures=tuple(failures),
                            duration_s=duration)


def _bill_batch(uow_factory: UnitOfWorkFactory, batch: Sequence[str], *, period: Period, deps: BillingDeps,
                actor: Actor, at: datetime, issue: bool, dry_run: bool,
                counts: dict[str, int]) -> list[CustomerFailure]:
    """One transaction per batch. Customers billed for the first time are written together, in one
    savepoint (a handful of statements for the whole batch); customers with a draft already, one
    savepoint each. Either way a failure undoes only that customer: a failed group write is redone
    one customer at a time. Failures come back in batch order."""
    failures: dict[str, CustomerFailure] = {}
    with uow_factory() as uow:
        if issue and not dry_run:
            service.lock_series(uow, deps, at, DocumentKind.INVOICE)
        with uow.planned_for_actual_values():  # every batch repeats these reads with new customer lists
            known = InvoiceStore(uow.connection).statuses_for(period, batch)
            to_rate = [c for c in batch if known.get(c, InvoiceStatus.DRAFT.value) == InvoiceStatus.DRAFT.value]
            ratings = (deps.rater.rate_customers(uow, customer_ids=to_rate, period=period, as_of=at)
                       if to_rate else None)
        one_by_one: list[str] = []
        new_invoices: list[Invoice] = []
        for customer_id in batch:
            status = known.get(customer_id)
            if status is None:
                built = _new_invoice(uow, customer_id, period=period, deps=deps, at=at, ratings=ratings)
                if isinstance(built, CustomerFailure):
                    failures[customer_id] = built
                elif isinstance(built, Outcome):
                    counts[built.value] += 1
                elif dry_run:
                    counts[(Outcome.ISSUED if issue else Outcome.DRAFTED).value] += 1
                else:
                    new_invoices.append(built)
            elif status == InvoiceStatus.DRAFT.value:
                one_by_one.append(customer_id)
            else:
                counts[Outcome.UNCHANGED.value] += 1  # issued, paid or void: never touched again
        if new_invoices:
            if _write_new(uow, deps, new_invoices, at=at, actor=actor, issue=issue):
                counts[(Outcome.ISSUED if issue else Outcome.DRAFTED).value] += len(new_invoices)
            else:
                position = {c: i for i, c in enumerate(batch)}
                one_by_one = sorted([*one_by_one, *(i.customer_id for i in new_invoices)], key=position.__getitem__)
        for customer_id in one_by_one:
            outcome = _bill_one_in_savepoint(uow, customer_id, period=period, deps=deps, actor=actor, at=at,
                                             issue=issue, dry_run=dry_run, ratings=ratings)
            if isinstance(outcome, CustomerFailure):
                failures[customer_id] = outcome
            else:
                counts[outcome.value] += 1
        if not dry_run:
            uow.commit()
    return [failures[c] for c in batch if c in failures]


def _new_invoice(uow: UnitOfWork, customer_id: str, *, period: Period, deps: BillingDeps, at: datetime,
                 ratings: CustomerRatings | None) -> Invoice | Outcome | CustomerFailure:
    """Rate a customer that has no invoice for the period and build its draft; nothing is written.

    Rating only reads, so a customer that fails here needs no savepoint to be undone.
    """
    try:
        result = service.rate(deps, uow, customer_id=customer_id, period=period, as_of=at, ratings=ratings)
        if not result.lines:
            return Outcome.EMPTY
        return draft_invoice(result, invoice_id=service.new_id("inv"), tax=deps.tax, created_at=at, rated_as_of=at)
    except DBAPIError:
        raise  # the database itself failed: stop; the run is resumable
    except Exception as exc:
        return _customer_failure(customer_id, exc)


def _write_new(uow: UnitOfWork, deps: BillingDeps, new_invoices: Sequence[Invoice], *, at: datetime, actor: Actor,
               issue: bool) -> bool:
    """Store (and, with `issue`, number and issue) a batch's new invoices in one savepoint, in batch order.

    False when the group could not be written as one: a concurrent run billed one of these customers
    after we looked (IntegrityError on the one-invoice-per-period key), or one invoice was refused (a
    credit drawdown, say). The savepoint is rolled back, numbers included, so nothing is lost or
    skipped; the caller bills the group one customer at a time, which settles each case as before.
    """
    savepoint = uow.connection.begin_nested()
    try:
        if issue:
            service.issue_many(uow, deps, new_invoices, at=at, actor=actor)
        else:
            service.add_drafts(uow, new_invoices, at=at, actor=actor)
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()
        metrics.billing_group_writes_redone_total.labels("conflict").inc()
        return False
    except DBAPIError:
        raise  # the database itself failed: stop; the run is resumable
    except Exception:  # one customer's failure or a bug: redone per customer, where it is recorded as its own
        savepoint.rollback()
        metrics.billing_group_writes_redone_total.labels("customer_error").inc()
        return False
    return True


def _bill_one_in_savepoint(uow: UnitOfWork, customer_id: str, *, period: Period, deps: BillingDeps, actor: Actor,
                           at: datetime, issue: bool, dry_run: bool,
                           ratings: CustomerRatings | None) -> Outcome | CustomerFailure:
    """Bill one customer in its own savepoint: its failure undoes only its own writes."""
    retried = False
    while True:
        savepoint = uow.connection.begin_nested()
        try:
            outcome = _bill_one(uow, customer_id, period=period, deps=deps, actor=actor, at=at, issue=issue,
                                dry_run=dry_run, ratings=ratings)
            savepoint.commit()
        except IntegrityError as exc:
            # a concurrent run created this customer's invoice first: look again, once
            savepoint.rollback()
            if retried:
                return _failure(customer_id, "conflict", str(exc.orig))
            retried = True
            continue
        except DBAPIError:
            raise  # the database itself failed: stop; the run is resumable
        except Exception as exc:
            savepoint.rollback()
            return _customer_failure(customer_id, exc)
        return outcome


def _customer_failure(customer_id: str, exc: Exception) -> CustomerFailure:
    """A customer's own error (its code), or a bug for this customer (recorded; the run exits non-zero)."""
    if isinstance(exc, TallyError):
        return _failure(customer_id, exc.code, exc.detail)
    return _failure(customer_id, "unexpected_error", f"{type(exc).__name__}: {exc}")


def _failure(customer_id: str, code: str, detail: str) -> CustomerFailure:
    metrics.billing_failures_total.labels(code).inc()
    return CustomerFailure(customer_id=customer_id, code=code, detail=detail)


def _bill_one(uow: UnitOfWork, customer_id: str, *, period: Period, deps: BillingDeps, actor: Actor, at: datetime,
              issue: bool, dry_run: bool, ratings: CustomerRatings | None) -> Outcome:
    store = InvoiceStore(uow.connection)
    existing = store.find(customer_id=customer_id, period=period, for_update=True)
    if existing is not None and existing.status is not InvoiceStatus.DRAFT:
        return Outcome.UNCHANGED
    if existing is not None:
        if dry_run:
            return Outcome.UNCHANGED
        refreshed = service.refresh_draft(uow, deps, existing, at=at, actor=actor, ratings=ratings)
        if issue:
            service.issue_in(uow, deps, refreshed, at=at, actor=actor, stored=True)
            return Outcome.ISSUED
        return Outcome.UNCHANGED if refreshed is existing else Outcome.RECOMPUTED
    result = service.rate(deps, uow, customer_id=customer_id, period=period, as_of=at, ratings=ratings)
    if not result.lines:
        return Outcome.EMPTY
    draft = draft_invoice(result, invoice_id=service.new_id("inv"), tax=deps.tax, created_at=at, rated_as_of=at)
    if dry_run:
        return Outcome.ISSUED if issue else Outcome.DRAFTED
    if issue:
        service.issue_in(uow, deps, draft, at=at, actor=actor, stored=False)
        return Outcome.ISSUED
    service.add_drafts(uow, (draft,), at=at, actor=actor)
    return Outcome.DRAFTED
