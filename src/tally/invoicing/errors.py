"""Typed errors of the invoicing stage, each with a stable code.

TallyError
├── NotFound
│   ├── InvoiceNotFound          invoice_not_found         404 / exit 3
│   └── CreditNoteNotFound       credit_note_not_found     404 / exit 3
├── Conflict
│   ├── IllegalTransition        invoice_illegal_transition 409 / exit 4  (e.g. pay a draft, void a paid invoice)
│   ├── PeriodNotEnded           period_not_ended          409 / exit 4  (billing a period still running)
│   ├── CreditExceedsRemaining   credit_exceeds_remaining  409 / exit 4  (a credit note larger than what is left)
│   ├── NothingToCorrect         nothing_to_correct        409 / exit 4
│   ├── CorrectionMovesCredit    correction_moves_credit   409 / exit 4  (a re-rate that changes a prepaid credit line)
│   └── BillingRunFailed         billing_run_failed        409 / exit 4  (some customers failed; listed)
├── Unavailable
│   └── RatingUnavailable        rating_unavailable        503 / exit 6  (no rater wired)
└── InvariantViolation (money rules: total = sum of rounded lines)
"""

from __future__ import annotations

from tally.errors import Conflict, NotFound, Unavailable


class InvoiceNotFound(NotFound):
    code = "invoice_not_found"
    title = "Invoice not found"

    def __init__(self, key: str) -> None:
        super().__init__("invoice", key)


class CreditNoteNotFound(NotFound):
    code = "credit_note_not_found"
    title = "Credit note not found"

    def __init__(self, key: str) -> None:
        super().__init__("credit note", key)


class IllegalTransition(Conflict):
    code = "invoice_illegal_transition"
    title = "Illegal invoice transition"

    def __init__(self, invoice: str, current: str, action: str) -> None:
        super().__init__(f"invoice {invoice} is {current}: cannot {action}")
        self.invoice = invoice
        self.current = current
        self.action = action


class PeriodNotEnded(Conflict):
    code = "period_not_ended"
    title = "Billing period has not ended"

    def __init__(self, period: str, end: str) -> None:
        super().__init__(f"billing period {period} ends at {end}; bill it after it ends")


class CreditExceedsRemaining(Conflict):
    code = "credit_exceeds_remaining"
    title = "Credit exceeds what is left to credit"


class NothingToCorrect(Conflict):
    code = "nothing_to_correct"
    title = "Nothing to correct"


class CorrectionMovesCredit(Conflict):
    """A re-rate correction would change a prepaid-credit line. Corrections never draw or return credits
    (re-rating also counts the invoice's own drawdown as used), so issuing it would bill the credit again
    and leave contracts' balance and the ledger's liability apart. Credit the invoice in full instead:
    that returns the credits."""

    code = "correction_moves_credit"
    title = "Correction would move a prepaid credit"


class BillingRunFailed(Conflict):
    code = "billing_run_failed"
    title = "Billing run finished with failures"

    def __init__(self, run_id: str, failures: list[dict[str, str]]) -> None:
        names = ", ".join(f["customer_id"] for f in failures[:20])
        super().__init__(f"billing run {run_id}: {len(failures)} customer(s) failed: {names}")
        self.errors = failures


class RatingUnavailable(Unavailable):
    code = "rating_unavailable"
    title = "Rating is not available"
