"""What a billing correction may be, who may do what, and when a second person must approve."""

from __future__ import annotations

from decimal import Decimal

from dashboard.errors import PermissionDenied
from dashboard.identity import Actor

CORRECTION_ROLES = frozenset({"account_manager", "admin"})

KIND_LABELS = {
    "refund": "Refund a payment",
    "credit_note": "Credit note on an invoice",
    "apply_discount": "Apply a discount",
    "remove_discount": "Remove a discount",
    "change_quantity": "Change quantity",
    "change_price": "Change price",
    "void_invoice": "Void an open invoice",
}
# Which Stripe object each kind acts on (the collection the form's target is read from).
TARGET_RESOURCE = {
    "refund": "charges",
    "credit_note": "invoices",
    "void_invoice": "invoices",
    "apply_discount": "subscriptions",
    "remove_discount": "subscriptions",
    "change_quantity": "subscriptions",
    "change_price": "subscriptions",
}
REASON_CATEGORIES = {
    "billing_error": "Billing error",
    "duplicate_charge": "Duplicate charge",
    "service_issue": "Service problem",
    "goodwill": "Goodwill gesture",
    "plan_change": "Plan change requested",
    "cancellation": "Cancellation",
    "other": "Other",
}
CREDIT_OUTCOMES = {
    "refund": "Refund to the card",
    "credit": "Credit the customer's balance",
    "out_of_band": "Settled outside Stripe (out of band)",
}
DURATIONS = ("once", "repeating", "forever")
STATUS_LABELS = {
    "draft": "Draft",
    "pending_approval": "Waiting for approval",
    "approved": "Approved",
    "executed": "Executed",
    "failed": "Failed",
    "rejected": "Rejected",
}
EXECUTABLE_STATUSES = ("approved", "failed")
FULL_DISCOUNT = Decimal(100)
# A `forever` discount is valued over one year of billing periods when compared with the threshold.
FOREVER_MONTHS = 12


def require_corrector(actor: Actor) -> None:
    if actor.role not in CORRECTION_ROLES:
        raise PermissionDenied("Only account managers and admins can work on billing corrections.")


def needs_approval(*, amount_reporting: int | None, percent_off: Decimal | None, threshold: int) -> bool:
    """Above the threshold (in the reporting currency) or a 100% discount: a second person decides."""
    if percent_off is not None and percent_off >= FULL_DISCOUNT:
        return True
    return amount_reporting is not None and amount_reporting > threshold


def discount_periods(duration: str, duration_in_months: int | None, interval_months: int) -> int:
    """How many billing periods a coupon reduces (forever counts as one year)."""
    months = {"once": interval_months, "repeating": duration_in_months or 1, "forever": FOREVER_MONTHS}[
        duration
    ]
    return max(1, -(-months // max(interval_months, 1)))
