"""Errors of the metering stage.

InvalidInput (tally.errors)
└── MeterInvalid        invalid_meter        400 / exit 2   (field: `meters[i].field`)
NotFound (tally.errors)
└── MeterNotFound       meter_not_found      404 / exit 3   (no live meter with that slug)
InvariantViolation (tally.errors)
└── RollupMismatch      rollup_mismatch      500 / exit 70  (rollups disagree with the raw events)
"""

from __future__ import annotations

from tally.errors import InvalidInput, InvariantViolation, NotFound


class MeterInvalid(InvalidInput):
    code = "invalid_meter"
    title = "Invalid meter"


class MeterNotFound(NotFound):
    code = "meter_not_found"
    title = "Meter not found"

    def __init__(self, slug: str, reason: str = "") -> None:
        super().__init__("meter", slug)
        if reason:
            self.detail = f"meter {slug!r} not found: {reason}"
            self.args = (self.detail,)


class RollupMismatch(InvariantViolation):
    code = "rollup_mismatch"
    title = "Rollups disagree with raw events"
