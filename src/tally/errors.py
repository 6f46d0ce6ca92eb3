"""Typed errors with stable codes, shared by every stage; the doors map them to HTTP and exit codes.

TallyError
├── InvalidInput          invalid_input        400 / exit 2   (names the field and the reason)
│   ├── UnknownCurrency   unknown_currency
│   └── CurrencyMismatch  currency_mismatch
├── NotFound              not_found            404 / exit 3
├── Conflict              conflict             409 / exit 4
├── Unauthorized          unauthorized         401 / exit 5
├── Forbidden             forbidden            403 / exit 5
├── Unavailable           unavailable          503 / exit 6   (retryable: the database is down)
└── InvariantViolation    invariant_violation  500 / exit 70  (a money rule broke: never swallowed)
Stages subclass these in their own errors.py with their own stable codes.
"""

from __future__ import annotations

from typing import ClassVar


class TallyError(Exception):
    """Base of every error Tally raises on purpose."""

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 500
    exit_code: ClassVar[int] = 1
    title: ClassVar[str] = "Error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(TallyError):
    code = "invalid_input"
    http_status = 400
    exit_code = 2
    title = "Invalid input"

    def __init__(self, field: str, reason: str, *, item: str | None = None) -> None:
        where = f"{item}: " if item else ""
        super().__init__(f"{where}{field}: {reason}")
        self.field = field
        self.reason = reason
        self.item = item


class UnknownCurrency(InvalidInput):
    code = "unknown_currency"
    title = "Unknown currency"

    def __init__(self, code: object) -> None:
        super().__init__("currency", f"unknown ISO 4217 currency code {code!r}")


class CurrencyMismatch(InvalidInput):
    code = "currency_mismatch"
    title = "Currencies do not match"

    def __init__(self, left: str, right: str) -> None:
        super().__init__("currency", f"cannot combine {left} with {right}")


class NotFound(TallyError):
    code = "not_found"
    http_status = 404
    exit_code = 3
    title = "Not found"

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} {key!r} not found")
        self.kind = kind
        self.key = key


class Conflict(TallyError):
    code = "conflict"
    http_status = 409
    exit_code = 4
    title = "Conflict"


class Unauthorized(TallyError):
    code = "unauthorized"
    http_status = 401
    exit_code = 5
    title = "Unauthorized"


class Forbidden(TallyError):
    code = "forbidden"
    http_status = 403
    exit_code = 5
    title = "Forbidden"


class Unavailable(TallyError):
    code = "unavailable"
    http_status = 503
    exit_code = 6
    title = "Service unavailable"


class InvariantViolation(TallyError):
    code = "invariant_violation"
    http_status = 500
    exit_code = 70
    title = "Invariant violated"
