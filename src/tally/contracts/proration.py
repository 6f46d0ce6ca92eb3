"""Proration: the share of a billing period that a part of it is, by the second or by the day. Pure.

By second: covered seconds / period seconds (exact to the microsecond).
By day: whole UTC days, counted from the day the part starts up to (not including) the day it
ends — so the start day counts in full and the end day does not. Either way the shares of a
period split at any instants add up to exactly 1 (they share one denominator).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, localcontext
from fractions import Fraction

from tally.contracts.model import ProrationUnit
from tally.errors import InvariantViolation
from tally.period import Period

_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Share:
    """`numerator / denominator` of a period, in seconds (µs) or days."""

    numerator: int
    denominator: int
    unit: ProrationUnit

    @property
    def fraction(self) -> Fraction:
        return Fraction(self.numerator, self.denominator)

    @property
    def is_whole(self) -> bool:
        return self.numerator == self.denominator

    def as_decimal(self) -> Decimal:
        """The share as a decimal to 40 significant digits (exact when it terminates)."""
        with localcontext() as ctx:
            ctx.prec = 40
            return Decimal(self.numerator) / Decimal(self.denominator)

    def describe(self) -> str:
        if self.unit is ProrationUnit.DAY:
            return f"{self.numerator} of {self.denominator} days"
        seconds = Decimal(self.numerator).scaleb(-6).normalize()
        total = Decimal(self.denominator).scaleb(-6).normalize()
        return f"{seconds:f} of {total:f} seconds"


def _day(instant: datetime) -> datetime:
    return instant.replace(hour=0, minute=0, second=0, microsecond=0)


def share(covered: Period, whole: Period, unit: ProrationUnit) -> Share:
    if covered.start < whole.start or covered.end > whole.end:
        raise InvariantViolation(f"prorated part {covered.label} is not inside {whole.label}")
    if unit is ProrationUnit.SECOND:
        return Share(covered.duration // _MICROSECOND, whole.duration // _MICROSECOND, unit)
    days = (_day(covered.end) - _day(covered.start)).days
    return Share(days, max((_day(whole.end) - _day(whole.start)).days, 1), unit)
