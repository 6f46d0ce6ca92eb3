"""Errors of the ledger stage, each with a stable code.

TallyError
├── InvalidInput
│   └── UnbalancedEntry        unbalanced_entry     400 / exit 2   (debits ≠ credits in a currency)
├── Conflict
│   ├── PeriodClosed           period_closed        409 / exit 4   (an entry dated in a closed period)
│   ├── PeriodAlreadyClosed    period_already_closed
│   ├── PeriodNotClosed        period_not_closed
│   ├── PeriodOutOfOrder       period_out_of_order  (the month before is still open)
│   └── PeriodNotEnded         period_not_ended     (a month closes after it ends)
├── Forbidden
│   └── ReopenNotAllowed       reopen_not_allowed   403 / exit 5
└── NotFound
    └── EntryNotFound          entry_not_found
"""

from __future__ import annotations

from tally.errors import Conflict, Forbidden, InvalidInput, NotFound


class UnbalancedEntry(InvalidInput):
    code = "unbalanced_entry"
    title = "Journal entry is not balanced"

    def __init__(self, entry: str, detail: str) -> None:
        super().__init__("lines", f"debits and credits differ: {detail}", item=f"journal entry {entry}")


class PeriodClosed(Conflict):
    code = "period_closed"
    title = "Period is closed"

    def __init__(self, period: str, detail: str) -> None:
        super().__init__(f"period {period} is closed: {detail}")
        self.period = period


class PeriodAlreadyClosed(Conflict):
    code = "period_already_closed"
    title = "Period already closed"

    def __init__(self, period: str) -> None:
        super().__init__(f"period {period} is already closed (reopen it first)")


class PeriodNotClosed(Conflict):
    code = "period_not_closed"
    title = "Period is not closed"

    def __init__(self, period: str) -> None:
        super().__init__(f"period {period} is not closed")


class PeriodOutOfOrder(Conflict):
    code = "period_out_of_order"
    title = "Periods close in order"

    def __init__(self, period: str, blocker: str) -> None:
        super().__init__(f"period {period} cannot close while {blocker} is open: periods close in order")


class PeriodNotEnded(Conflict):
    code = "period_not_ended"
    title = "Period has not ended"

    def __init__(self, period: str, now: str) -> None:
        super().__init__(f"period {period} cannot close before it ends (now {now})")


class ReopenNotAllowed(Forbidden):
    code = "reopen_not_allowed"
    title = "Reopening needs the admin or finance role"

    def __init__(self, period: str, role: str) -> None:
        super().__init__(f"period {period}: role {role!r} may not reopen a closed period (admin or finance only)")


class EntryNotFound(NotFound):
    code = "entry_not_found"

    def __init__(self, entry_id: str) -> None:
        super().__init__("journal entry", entry_id)
