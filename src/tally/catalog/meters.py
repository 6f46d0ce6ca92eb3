"""The hook through which `tally catalog apply` hands its `meters:` section to metering.

Catalog never imports metering's internals; bootstrap (the lead) points `default_meter_catalog`
at metering. Until then `UnwiredMeterCatalog` checks each meter has a slug and stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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


class CallableMeterCatalog:
    """Adapts metering's functions to the hook; the lead wires it in `default_meter_catalog`:

        from tally.metering.definitions import parse_meters
        from tally.metering.service import apply_meters
        CallableMeterCatalog(parse_meters=parse_meters, apply_meters=apply_meters,
                             stored_slugs=lambda uow: frozenset(<slugs of stored meters>))
    """

    wired = True

    def __init__(self, *, parse_meters: Callable[[list[Mapping[str, Any]]], Sequence[Any]],
                 apply_meters: Callable[..., object], stored_slugs: Callable[[Any], frozenset[str]]) -> None:
        self._parse = parse_meters
        self._apply = apply_meters
        self._stored = stored_slugs

    def parse(self, meters: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
        return tuple(str(d.slug) for d in self._parse(list(meters)))

    def known_slugs(self, uow: Any) -> frozenset[str]:
        return self._stored(uow)

    def apply(self, uow: Any, meters: Sequence[Mapping[str, Any]], *, actor: Actor, at: datetime) -> None:
        self._apply(uow, self._parse(list(meters)), actor=actor, at=at)


def default_meter_catalog() -> MeterCatalog:
    """The meter hook `apply_catalog` uses: metering's parser, versioning apply and stored slugs."""
    from tally.metering.definitions import parse_meters
    from tally.metering.service import apply_meters, stored_slugs

    return CallableMeterCatalog(parse_meters=parse_meters, apply_meters=apply_meters, stored_slugs=stored_slugs)
