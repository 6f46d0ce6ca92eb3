"""What invoicing needs from the stages above it, as Protocols (docs/SEAMS.md).

Rating implements `Rater` (tally.rating.service), contracts implement `BillableCustomers` and
`CreditsHook` (tally.contracts.service). `tally.invoicing.wiring` is the one place that binds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from tally.audit.model import Actor
from tally.period import Period
from tally.rating.model import CreditDrawdown, RatingResult
from tally.store.uow import UnitOfWork


class CustomerRatings(Protocol):
    def rate(self, customer_id: str) -> RatingResult:
        """Rate one customer of the batch; raises that customer's error (no contract, no price...)."""
        ...


class Rater(Protocol):
    def rate_customers(self, uow: UnitOfWork, *, customer_ids: Sequence[str], period: Period,
                       as_of: datetime) -> CustomerRatings:
        """Read what rating these customers' period needs, once for all (a billing run's batch)."""
        ...

    def rate_customer(self, uow: UnitOfWork, *, customer_id: str, period: Period, as_of: datetime) -> RatingResult:
        """Rate one customer's billing period from usage rollups received up to `as_of`."""
        ...

    def rate_customer_from_events(self, uow: UnitOfWork, *, customer_id: str, period: Period,
                                  as_of: datetime) -> RatingResult:
        """The same, with usage recomputed from raw events (for verification)."""
        ...


class BillableCustomers(Protocol):
    def billable_customers(self, uow: UnitOfWork, *, period: Period) -> tuple[str, ...]: ...


class CreditsHook(Protocol):
    def record_credit_drawdowns(self, uow: UnitOfWork, *, invoice_id: str, drawdowns: Sequence[CreditDrawdown],
                                at: datetime) -> None:
        """Persist the prepaid credits an invoice drew, inside the issuing transaction."""
        ...

    def restore_credit_drawdowns(self, uow: UnitOfWork, *, invoice_id: str, credit_note_id: str, at: datetime,
                                 actor: Actor | None = None) -> int:
        """Give back every credit the invoice drew, because `credit_note_id` credited it in full (a void
        or a full credit note), inside the credit note's transaction. Idempotent; returns how many."""
        ...
