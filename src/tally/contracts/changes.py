"""Which contract versions a catalog file adds: parse, check against the catalog, compare digests. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tally.audit.canonical import digest
from tally.catalog import fields as f
from tally.catalog.errors import CatalogInvalid
from tally.catalog.model import Plan, Product
from tally.contracts.document import check_contract, parse_contract
from tally.contracts.model import ContractVersion


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractChange:
    """A contract document that differs from the customer's latest version: it becomes version `version`."""

    customer_id: str
    version: int
    effective_from: datetime
    digest: str
    document: Mapping[str, Any]
    contract: ContractVersion
    created: bool  # the customer had no contract before
    previous: Mapping[str, Any] | None = None  # the document of the version it replaces


@dataclass(frozen=True, slots=True, kw_only=True)
class LatestContract:
    version: int
    effective_from: datetime
    digest: str
    document: Mapping[str, Any] | None = None


def plan_contract_changes(
    documents: Sequence[Mapping[str, Any]],
    *,
    latest: Mapping[str, LatestContract],
    products: Mapping[str, Product],
    plans: Mapping[str, Plan],
    path: str = "customers",
) -> tuple[tuple[ContractChange, ...], tuple[str, ...]]:
    """(changes, unchanged customer ids). Raises CatalogInvalid naming the place; nothing is partial."""
    changes: list[ContractChange] = []
    unchanged: list[str] = []
    seen: dict[str, str] = {}
    for i, document in enumerate(documents):
        here = f.at(path, i)
        terms, effective_from = parse_contract(document, here)
        if terms.customer_id in seen:
            raise CatalogInvalid(f.at(here, "id"), f"customer {terms.customer_id!r} is listed twice "
                                 f"(first at {seen[terms.customer_id]})")
        seen[terms.customer_id] = here
        check_contract(terms, here, products=products, plans=plans)
        doc_digest = digest(document)
        before = latest.get(terms.customer_id)
        if before is not None and before.digest == doc_digest:
            unchanged.append(terms.customer_id)
            continue
        if before is not None and effective_from < before.effective_from:
            raise CatalogInvalid(f.at(here, "effective_from"), f"{effective_from.isoformat()} is before version "
                                 f"{before.version} ({before.effective_from.isoformat()}); a new contract version "
                                 "takes effect at or after the one it replaces")
        version = 1 if before is None else before.version + 1
        contract = ContractVersion(version_id=f"{terms.customer_id}@{version}", customer_id=terms.customer_id,
                                   version=version, effective_from=effective_from, terms=terms)
        changes.append(ContractChange(customer_id=terms.customer_id, version=version, effective_from=effective_from,
                                      digest=doc_digest, document=document, contract=contract,
                                      created=before is None, previous=None if before is None else before.document))
    return tuple(changes), tuple(unchanged)
