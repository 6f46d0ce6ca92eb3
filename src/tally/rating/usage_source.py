"""Where rating gets metered quantities: a `UsageSource` protocol, wired to metering at integration.

`period_usage` and `period_usage_from_events` in `tally.metering.usage` have exactly this shape; the
default sources are a fresh `tally.metering.usage.UsageReader` per rating batch (the same answers, each
meter read once for the whole batch: a source may offer `prefetch`, see `PrefetchingUsageSource`).
Without metering they raise `UsageSourceNotWired` with a clear message.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, cast, runtime_checkable

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


@runtime_checkable
class PrefetchingUsageSource(Protocol):
    """A source that can read many customers' usage of one meter and period at once, ahead of the calls."""

    def prefetch(self, uow: Any, *, customer_ids: Sequence[str], period: Period, meter_slug: str) -> None: ...


def prefetch_usage(source: UsageSource, uow: Any, *, customer_ids: Sequence[str], period: Period,
                   meter_slug: str) -> None:
    """Let `source` read these customers' usage in one go, when it can (a plain function source cannot:
    it is then asked customer by customer, with the same answers)."""
    if isinstance(source, PrefetchingUsageSource):
        source.prefetch(uow, customer_ids=customer_ids, period=period, meter_slug=meter_slug)


def _reader(**options: Any) -> UsageSource:
    """A fresh `tally.metering.usage.UsageReader` (each meter read once per batch)."""
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
    """Usage from metering's rollups (the billing path); call it once per rating batch."""
    return _reader(from_events=False)


def events_usage_source(received_by: datetime | None = None) -> UsageSource:
    """Usage recomputed from raw events (the verification path); call it once per rating batch. With
    `received_by`, only events received by then count (what a rating at that instant saw)."""
    return _reader(from_events=True, received_by=received_by)
