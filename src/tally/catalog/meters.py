"""The hook through which `tally catalog apply` hands its `meters:` section to metering.

Catalog never imports metering's internals; bootstrap (the lead) points `default_meter_catalog`
at metering. Until then `UnwiredMeterCatalog` checks each meter has a slug and stores nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from tally.audit.model import Actor
from tally.catalog.errors import CatalogInvalid


class MeterCatalog(Protocol):
    """What the catalog apply needs from metering, all inside the catalog's one transaction."""

    def parse(self, meters: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
        """Validate the `meters:` section (errors name `meters[i].field`); return the slugs it defines."""
        ...

    def known_slugs(self, uow: Any) -> frozenset[str]:
        """Slugs of the meters already stored."""
        ...

    def apply(self, uow: Any, meters: Sequence[Mapping[str, Any]], *, actor: Actor, at: datetime) -> None:
        """Store the meters (create or new version); never commits."""
        ...


class UnwiredMeterCatalog:
    """Stand-in until metering is wired: reads slugs, knows none, stores nothing."""

    wired = False

    def parse(self, meters: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
        slugs: list[str] = []
        for i, meter in enumerate(meters):
            slug = meter.get("slug")
            if not isinstance(slug, str) or not slug.strip():
                raise CatalogInvalid(f"meters[{i}].slug", "is required")
            if slug in slugs:
                raise CatalogInvalid(f"meters[{i}].slug", f"meter {slug!r} is defined twice")
            slugs.append(slug)
        return tuple(slugs)

    def known_slugs(self, uow: Any) -> frozenset[str]:
        return frozenset()

    def apply(self, uow: Any, meters: Sequence[Mapping[str, Any]], *, actor: Actor, at: datetime) -> None:
        return None


def default_meter_catalog() -> MeterCatalog:
    """The meter hook bootstrap hands to `apply_catalog` (the lead points this at metering)."""
    return UnwiredMeterCatalog()
