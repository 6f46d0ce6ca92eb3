"""Errors of the contracts stage.

NotFound (tally.errors)
└── ContractNotFound   contract_not_found   404 / exit 3
Conflict (tally.errors)
└── CreditOverdrawn    credit_overdrawn     409 / exit 4   (a drawdown would take a credit below zero)
Contract documents that are wrong raise tally.catalog.errors.CatalogInvalid (they live in the catalog file).
"""

from __future__ import annotations

from tally.errors import Conflict, NotFound


class ContractNotFound(NotFound):
    code = "contract_not_found"
    title = "Contract not found"

    def __init__(self, customer_id: str, detail: str = "") -> None:
        super().__init__("contract of customer", customer_id)
        if detail:
            self.detail = f"{self.detail}: {detail}"
            self.args = (self.detail,)


class CreditOverdrawn(Conflict):
    code = "credit_overdrawn"
    title = "Credit overdrawn"
