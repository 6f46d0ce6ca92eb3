"""The one place that binds invoicing to the stages above it (rating, contracts).

At integration the lead points `default_rater`, `default_billable_customers` and `default_credits`
at `tally.rating.service` and `tally.contracts.service` (modules satisfy the Protocols). Until then
they raise `RatingUnavailable` rather than bill anything wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tally.invoicing.config import BillingConfig, load_billing_config
from tally.invoicing.errors import RatingUnavailable
from tally.invoicing.ports import BillableCustomers, CreditsHook, Rater
from tally.invoicing.tax import TaxCalculator
from tally.period import Period
from tally.rating.model import CreditDrawdown, RatingResult
from tally.settings import Settings
from tally.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True, kw_only=True)
class BillingDeps:
    """What billing services need besides the unit of work, the actor and the clock."""

    rater: Rater
    customers: BillableCustomers
    credits: CreditsHook
    config: BillingConfig
    tax: TaxCalculator


class _NotWired:
    def rate_customer(self, uow: UnitOfWork, *, customer_id: str, period: Period, as_of: datetime) -> RatingResult:
        raise RatingUnavailable("no rater is wired (tally.invoicing.wiring.default_rater)")

    def rate_customer_from_events(self, uow: UnitOfWork, *, customer_id: str, period: Period,
                                  as_of: datetime) -> RatingResult:
        raise RatingUnavailable("no rater is wired (tally.invoicing.wiring.default_rater)")

    def billable_customers(self, uow: UnitOfWork, *, period: Period) -> tuple[str, ...]:
        raise RatingUnavailable("no billable-customers source is wired (tally.invoicing.wiring)")

    def record_credit_drawdowns(self, uow: UnitOfWork, *, invoice_id: str, drawdowns: Sequence[CreditDrawdown],
                                at: datetime) -> None:
        if drawdowns:
            raise RatingUnavailable("no credits hook is wired (tally.invoicing.wiring.default_credits)")


def default_rater() -> Rater:
    return _NotWired()


def default_billable_customers() -> BillableCustomers:
    return _NotWired()


def default_credits() -> CreditsHook:
    return _NotWired()


def billing_deps(settings: Settings) -> BillingDeps:
    config = load_billing_config(settings.billing_config_path)
    return BillingDeps(rater=default_rater(), customers=default_billable_customers(), credits=default_credits(),
                       config=config, tax=config.tax_calculator())
