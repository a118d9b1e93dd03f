"""The life of a correction: requested → (pending_approval → approved | rejected) → executed | failed.

Functions take the caller's session and never commit, except `submit`, `approve_and_execute` and
`retry`, which take the engine because the correction must be committed before Stripe is called:

1. the row (with its unique idempotency key) is written and committed;
2. a guarded UPDATE claims it (status approved or failed, bumps `attempts` and `version`); a second
   click waits on that row lock and then finds it executed, so it never reaches Stripe;
3. Stripe is called with the stored key and parameters; the result, the mirror update and the audit
   row are committed together. A Stripe error leaves the correction failed with a message; a retry
   sends the same request under the same key, so Stripe performs it at most once.
"""

from __future__ import annotations

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from dashboard import audit
from dashboard.corrections.execution import perform, update_mirror
from dashboard.corrections.rules import EXECUTABLE_STATUSES, needs_approval, require_corrector
from dashboard.corrections.validation import Checked, CorrectionForm, check
from dashboard.db import session_scope
from dashboard.errors import ConflictError, PermissionDenied, ValidationError
from dashboard.identity import Actor
from dashboard.revenue.fx import MissingFxRate, fx_rates, to_reporting
from dashboard.settings import get_settings
from dashboard.stripe_gateway import StripeGateway, StripeGatewayError
from models import BillingCorrection, StripeCustomer
from models.types import utcnow


def find_by_key(session: Session, idempotency_key: str) -> BillingCorrection | None:
    return session.exec(
        select(BillingCorrection).where(BillingCorrection.idempotency_key == idempotency_key)
    ).first()


def get_correction(session: Session, correction_id: int) -> BillingCorrection:
    correction = session.get(BillingCorrection, correction_id)
    if correction is None:
        raise ValidationError(f"There is no correction #{correction_id}.", field="correction")
    return correction


def _reporting_amount(session: Session, checked: Checked) -> int | None:
    if checked.amount is None or checked.currency is None:
        return None
    try:
        return to_reporting(abs(checked.amount), checked.currency, fx_rates(session))
    except MissingFxRate as error:
        raise ValidationError(error.message, field="amount") from None


def _ids(form: CorrectionForm, checked: Checked) -> dict[str, str | None]:
    obj = checked.target.object
    customer = obj.get("customer")
    ids: dict[str, str | None] = {
        "customer_id": customer if isinstance(customer, str) else (customer or {}).get("id"),
        "payment_id": None,
        "invoice_id": None,
        "subscription_id": None,
    }
    key = {"charges": "payment_id", "invoices": "invoice_id", "subscriptions": "subscription_id"}
    ids[key[checked.target.resource]] = form.target_id
    return ids


def _account_of(session: Session, form: CorrectionForm, customer_id: str | None) -> int:
    linked = session.get(StripeCustomer, customer_id) if customer_id else None
    if linked is None or linked.account_id != form.account_id:
        raise ValidationError("This object does not belong to the chosen account.", field="target")
    return form.account_id


def create_correction(
    session: Session, gateway: StripeGateway, actor: Actor, form: CorrectionForm
) -> BillingCorrection:
    """Check the form and store the correction: approved below the threshold, else pending approval.

    The same form submitted twice (same token, so same idempotency key) returns the first correction.
    """
    require_corrector(actor)
    existing = find_by_key(session, form.idempotency_key)
    if existing is not None:
        return existing
    checked = check(session, gateway, form)
    ids = _ids(form, checked)
    account_id = _account_of(session, form, ids["customer_id"])
    amount_reporting = _reporting_amount(session, checked)
    waits = needs_approval(
        amount_reporting=amount_reporting,
        percent_off=checked.percent_off,
        threshold=get_settings().correction_approval_threshold_minor,
    )
    correction = BillingCorrection(
        kind=form.kind,
        status="pending_approval" if waits else "approved",
        account_id=account_id,
        **ids,
        amount=checked.amount,
        currency=checked.currency,
        amount_reporting=amount_reporting,
        params={
            **checked.params,
            "preview": checked.preview,
            "percent_off": str(checked.percent_off) if checked.percent_off is not None else None,
        },
        target_fingerprint=checked.target.fingerprint,
        reason_category=form.reason_category,
        reason_text=form.reason_text.strip(),
        idempotency_key=form.idempotency_key,
        requested_by=actor.email,
    )
    try:
        with session.begin_nested():
            session.add(correction)
            session.flush()
    except IntegrityError:  # the same form submitted concurrently: the other request stored it
        raced = find_by_key(session, form.idempotency_key)
        if raced is None:
            raise
        return raced
    audit.record(
        session,
        actor,
        "correction.requested",
        target_type="billing_correction",
        target_id=correction.id,
        account_id=account_id,
        details={
            "kind": form.kind,
            "status": correction.status,
            "amount": checked.amount,
            "currency": checked.currency,
            "amount_reporting": amount_reporting,
            "target": form.target_id,
            "reason_category": form.reason_category,
        },
    )
    return correction


def _decide(
    session: Session, actor: Actor, correction_id: int, *, reason: str, version: int, status: str
) -> BillingCorrection:
    require_corrector(actor)
    if not reason.strip():
        raise ValidationError("Give a reason for the decision.", field="decision_reason")
    correction = get_correction(session, correction_id)
    if correction.requested_by == actor.email:
        raise PermissionDenied("You requested this correction; another account manager or admin must decide.")
    if correction.status != "pending_approval":
        raise ConflictError(f"Correction #{correction_id} is no longer waiting for approval.")
    claimed = session.execute(
        update(BillingCorrection)
        .where(
            col(BillingCorrection.id) == correction_id,
            col(BillingCorrection.version) == version,
            col(BillingCorrection.status) == "pending_approval",
        )
        .values(
            status=status,
            decided_by=actor.email,
            decided_at=utcnow(),
            decision_reason=reason.strip(),
            version=BillingCorrection.version + 1,
        )
    )
    if claimed.rowcount != 1:
        raise ConflictError(
            f"Correction #{correction_id} changed while you were reading it; reload the queue."
        )
    session.refresh(correction)
    audit.record(
        session,
        actor,
        f"correction.{status}",
        target_type="billing_correction",
        target_id=correction_id,
        account_id=correction.account_id,
        details={"reason": reason.strip()},
    )
    return correction


def approve(
    session: Session, actor: Actor, correction_id: int, *, reason: str, version: int
) -> BillingCorrection:
    return _decide(session, actor, correction_id, reason=reason, version=version, status="approved")


def reject(
    session: Session, actor: Actor, correction_id: int, *, reason: str, version: int
) -> BillingCorrection:
    return _decide(session, actor, correction_id, reason=reason, version=version, status="rejected")


def _claim(session: Session, correction_id: int) -> bool:
    """Take the row for one execution attempt; False when it is not (or no longer) executable."""
    claimed = session.execute(
        update(BillingCorrection)
        .where(
            col(BillingCorrection.id) == correction_id, col(BillingCorrection.status).in_(EXECUTABLE_STATUSES)
        )
        .values(attempts=BillingCorrection.attempts + 1, version=BillingCorrection.version + 1)
    )
    return claimed.rowcount == 1


def execute_correction(
    session: Session, gateway: StripeGateway, actor: Actor, *, correction_id: int
) -> BillingCorrection:
    """Send an approved (or failed) correction to Stripe. The row must already be committed.

    Returns the correction executed or failed; an executed one is returned as it is, without a call.
    """
    require_corrector(actor)
    if not _claim(session, correction_id):
        correction = get_correction(session, correction_id)
        if correction.status == "executed":
            return correction
        raise ConflictError(
            f"Correction #{correction_id} is {correction.status.replace('_', ' ')}; it cannot be executed."
        )
    correction = get_correction(session, correction_id)
    session.refresh(correction)
    try:
        outcome = perform(gateway, correction)
    except StripeGatewayError as error:
        correction.status, correction.error_message = "failed", error.message
        session.add(correction)
        audit.record(
            session,
            actor,
            "correction.failed",
            target_type="billing_correction",
            target_id=correction_id,
            account_id=correction.account_id,
            details={"attempt": correction.attempts, "error": error.kind, "message": error.message},
        )
        return correction
    correction.status, correction.error_message = "executed", None
    correction.executed_at, correction.stripe_result_id, correction.result = (
        utcnow(),
        outcome.result_id,
        outcome.summary,
    )
    session.add(correction)
    update_mirror(session, outcome)
    audit.record(
        session,
        actor,
        "correction.executed",
        target_type="billing_correction",
        target_id=correction_id,
        account_id=correction.account_id,
        details={"attempt": correction.attempts, "stripe_id": outcome.result_id},
    )
    return correction


def run(engine: Engine, gateway: StripeGateway, actor: Actor, *, correction_id: int) -> BillingCorrection:
    """Execute (or retry) one stored correction in its own transaction."""
    with session_scope(engine) as session:
        return execute_correction(session, gateway, actor, correction_id=correction_id)


def submit(engine: Engine, gateway: StripeGateway, actor: Actor, form: CorrectionForm) -> BillingCorrection:
    """Store the correction (committed), then execute it at once unless it waits for approval."""
    with session_scope(engine) as session:
        correction = create_correction(session, gateway, actor, form)
    if correction.status != "approved":
        return correction
    return run(engine, gateway, actor, correction_id=correction.id or 0)


def approve_and_execute(
    engine: Engine, gateway: StripeGateway, actor: Actor, correction_id: int, *, reason: str, version: int
) -> BillingCorrection:
    with session_scope(engine) as session:
        approve(session, actor, correction_id, reason=reason, version=version)
    return run(engine, gateway, actor, correction_id=correction_id)
