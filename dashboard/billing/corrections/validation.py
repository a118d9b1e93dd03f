"""Checking a correction form: first what can be checked without Stripe, then against a fresh read.

Nothing is written here. Every refusal is a `ValidationError` naming the form field it belongs to.
The result (`Checked`) carries the exact Stripe request parameters, so that executing, and any retry,
sends the very same request. The checks of each kind live in its module (`corrections.kinds`).
"""

from __future__ import annotations

from sqlmodel import Session

from dashboard.billing.corrections.form import Checked, CorrectionForm
from dashboard.billing.corrections.kinds import KINDS
from dashboard.billing.corrections.rules import REASON_CATEGORIES
from dashboard.billing.corrections.targets import Target, read_target
from dashboard.billing.stripe_gateway import StripeGateway
from dashboard.core.errors import ValidationError

MAX_REASON = 2000


def open_target(gateway: StripeGateway, *, kind: str, object_id: str) -> Target:
    """Read the object `kind` acts on fresh from Stripe (never from the mirror)."""
    return read_target(gateway, resource=KINDS[kind].target, object_id=object_id)


def check_locally(form: CorrectionForm) -> None:
    """Everything that needs no Stripe call: reason, amounts, quantities, percentages."""
    if form.kind not in KINDS:
        raise ValidationError("Choose what to do.", field="kind")
    if not form.target_id:
        raise ValidationError("Choose what the correction applies to.", field="target")
    if form.reason_category not in REASON_CATEGORIES:
        raise ValidationError("Choose a reason category.", field="reason_category")
    if not form.reason_text.strip():
        raise ValidationError(
            "Explain the reason; it is kept with the correction and in the audit log.", field="reason_text"
        )
    if len(form.reason_text) > MAX_REASON:
        raise ValidationError(f"The reason is limited to {MAX_REASON:,} characters.", field="reason_text")
    KINDS[form.kind].check_locally(form)


def check(session: Session, gateway: StripeGateway, form: CorrectionForm) -> Checked:
    """All checks, the Stripe ones against a fresh read of the target; raises ValidationError."""
    check_locally(form)
    target = open_target(gateway, kind=form.kind, object_id=form.target_id)
    if target.fingerprint != form.fingerprint:
        raise ValidationError(
            "This changed in Stripe since you opened the form (someone else may have "
            "corrected it). Reload the form and check the figures again.",
            field="form",
        )
    return KINDS[form.kind].check(session, gateway, form, target)
