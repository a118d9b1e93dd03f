"""Who may work on billing corrections, why they are made, and when a second person must approve."""

from __future__ import annotations

from decimal import Decimal

from dashboard.access.identity import Actor
from dashboard.core.errors import PermissionDenied
from models.billing import CorrectionStatus

CORRECTION_ROLES = frozenset({"account_manager", "admin"})
# Settling an unknown correction creates nothing new, so the scheduled job (role `system`) may too.
SETTLING_ROLES = CORRECTION_ROLES | {"system"}

REASON_CATEGORIES = {
    "billing_error": "Billing error",
    "duplicate_charge": "Duplicate charge",
    "service_issue": "Service problem",
    "goodwill": "Goodwill gesture",
    "plan_change": "Plan change requested",
    "cancellation": "Cancellation",
    "other": "Other",
}
STATUS_LABELS = {
    CorrectionStatus.DRAFT: "Draft",
    CorrectionStatus.PENDING_APPROVAL: "Waiting for approval",
    CorrectionStatus.APPROVED: "Approved",
    CorrectionStatus.SENDING: "Sending to Stripe",
    CorrectionStatus.EXECUTED: "Executed",
    CorrectionStatus.FAILED: "Failed",
    CorrectionStatus.UNKNOWN: "Unknown: checking with Stripe",
    CorrectionStatus.REJECTED: "Rejected",
}
# What a person may send (again) as it is; an unknown correction is looked for in Stripe first.
SENDABLE = (CorrectionStatus.APPROVED, CorrectionStatus.FAILED)
# Statuses whose amounts count towards the rolling approval sum (everything that may move money).
COUNTED = (
    CorrectionStatus.PENDING_APPROVAL,
    CorrectionStatus.APPROVED,
    CorrectionStatus.SENDING,
    CorrectionStatus.EXECUTED,
    CorrectionStatus.FAILED,
    CorrectionStatus.UNKNOWN,
)
# Not settled yet: while one of these is on a payment, invoice or subscription, no new correction is.
OUTSTANDING = (CorrectionStatus.SENDING, CorrectionStatus.UNKNOWN)
FULL_DISCOUNT = Decimal(100)


def require_corrector(actor: Actor) -> None:
    if actor.role not in CORRECTION_ROLES:
        raise PermissionDenied("Only account managers and admins can work on billing corrections.")


def require_settler(actor: Actor) -> None:
    if actor.role not in SETTLING_ROLES:
        raise PermissionDenied("Only account managers, admins and the scheduled job can check corrections.")


def needs_approval(
    *, amount_reporting: int | None, recent_reporting: int, percent_off: Decimal | None, threshold: int
) -> bool:
    """A second person decides on a 100% discount, or when this amount, or this amount added to the
    account's other corrections in the rolling window (all in the reporting currency), is above the
    threshold: ten small refunds are judged like one large one."""
    if percent_off is not None and percent_off >= FULL_DISCOUNT:
        return True
    return amount_reporting is not None and amount_reporting + recent_reporting > threshold
