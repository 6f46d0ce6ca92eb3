"""The one place that binds invoicing to the stages above it: rating, and contracts for credits.

Modules satisfy the Protocols in `ports.py`; tests pass fakes through `BillingDeps` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from tally.contracts import service as contracts_service
from tally.invoicing.config import BillingConfig, load_billing_config
from tally.invoicing.ports import BillableCustomers, CreditsHook, Rater
from tally.invoicing.tax import TaxCalculator
from tally.rating import service as rating_service
from tally.settings import Settings


@dataclass(frozen=True, slots=True, kw_only=True)
class BillingDeps:
    """What billing services need besides the unit of work, the actor and the clock."""

    rater: Rater
    customers: BillableCustomers
    credits: CreditsHook
    config: BillingConfig
    tax: TaxCalculator


def default_rater() -> Rater:
    """Rating from metering's rollups (and, for verification, from raw events)."""
    return cast(Rater, rating_service)


def default_billable_customers() -> BillableCustomers:
    return cast(BillableCustomers, contracts_service)


def default_credits() -> CreditsHook:
    return cast(CreditsHook, contracts_service)


def billing_deps(settings: Settings) -> BillingDeps:
    config = load_billing_config(settings.billing_config_path)
    return BillingDeps(rater=default_rater(), customers=default_billable_customers(), credits=default_credits(),
                       config=config, tax=config.tax_calculator())
