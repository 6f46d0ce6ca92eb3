"""Where rating gets metered quantities: a `UsageSource` protocol, wired to metering at integration.

`period_usage` and `period_usage_from_events` in `tally.metering.usage` have exactly this shape; the
default sources are a fresh `tally.metering.usage.UsageReader` per rating (the same answers, each meter
read once). Without metering they raise `UsageSourceNotWired` with a clear message.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, cast

from tally.period import Period
from tally.rating.errors import UsageSourceNotWired


class UsageAmountLike(Protocol):
    """What rating reads of metering's `UsageAmount`."""

    @property
    def meter_slug(self) -> str: ...

    @property
    def meter_version(self) -> int: ...

    @property
    def quantity(self) -> Decimal: ...

    @property
    def rollup_digest(self) -> str: ...


class UsageSource(Protocol):
    """One meter's aggregated quantity for one customer over a half-open period, optionally one group."""

    def __call__(self, uow: Any, *, customer_id: str, period: Period, meter_slug: str,
                 group_filter: Mapping[str, str] | None = None) -> UsageAmountLike: ...


def _reader(**options: Any) -> UsageSource:
    """A fresh `tally.metering.usage.UsageReader` (each meter read once per rating)."""
    try:
        module = importlib.import_module("tally.metering.usage")
    except ModuleNotFoundError:
        module = None
    reader = getattr(module, "UsageReader", None)
    if reader is None:
        raise UsageSourceNotWired("metering does not provide tally.metering.usage.UsageReader: rating has no usage "
                                  "source (wire one in tally.rating.usage_source)")
    return cast(UsageSource, reader(**options))


def default_usage_source() -> UsageSource:
    """Usage from metering's rollups (the billing path); call it once per rating."""
    return _reader(from_events=False)


def events_usage_source(received_by: datetime | None = None) -> UsageSource:
    """Usage recomputed from raw events (the verification path); call it once per rating. With
    `received_by`, only events received by then count (what a rating at that instant saw)."""
    return _reader(from_events=True, received_by=received_by)
