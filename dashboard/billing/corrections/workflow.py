"""The life of a correction, stored before every step, with no Stripe call inside a store transaction.

    submit ─► pending_approval ─► approved | rejected
    approved | failed ─► sending ─► executed | failed | unknown
    unknown (or sending past the grace period) ─► look in Stripe ─► executed, or sending again

1. `store`: the checks read the store on an autocommit connection while Stripe answers, then one short
   transaction writes the row (unique idempotency key) and its audit row.
2. `send`: a short transaction claims the row (guarded UPDATE on status and version) and commits
   `sending` with the key of this send. A second click, tab or process finds it claimed and sends
   nothing.
3. Stripe is called outside any transaction. Its answer is recorded in a new short transaction:
   `executed` with the result (from the write's own response), `failed` when Stripe said no, `unknown`
   when there was no clear answer. A crash before recording leaves `sending`.
4. The mirror re-read (charge, invoice) is separate: its failure never turns success into failure;
   `resolve_all` retries it.
5. `check_now` / `resolve_all` settle `unknown` rows and `sending` ones older than `SENDING_GRACE`:
   look for the result in Stripe (metadata `console_correction_id`), record it if found, else send
   again under the same key. Stripe prunes keys after about a day, so the look, not the key, is what
   keeps a late retry from moving money twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from dashboard.access.identity import Actor
from dashboard.billing.corrections.execution import Answer, attempt, related, update_mirror
from dashboard.billing.corrections.form import Checked, CorrectionForm
from dashboard.billing.corrections.kinds import KINDS
from dashboard.billing.corrections.rules import (
    COUNTED,
    OUTSTANDING,
    SENDABLE,
    needs_approval,
    require_corrector,
    require_settler,
)
from dashboard.billing.corrections.validation import check
from dashboard.billing.revenue.fx import MissingFxRate, fx_rates, to_reporting
from dashboard.billing.stripe_gateway import StripeGateway, StripeGatewayError
from dashboard.core import audit
from dashboard.core.db import session_scope
from dashboard.core.errors import ConflictError, PermissionDenied, ValidationError
from dashboard.core.settings import get_settings
from models import Account, BillingCorrection, StripeCustomer
from models.billing import CorrectionStatus
from models.types import utcnow

# A send still `sending` after this long is taken over by a resolver: longer than any write can take
# (30 s timeout, a few 429 back-offs), short enough that nothing waits long.
SENDING_GRACE = timedelta(minutes=5)
TARGET_COLUMN = {"charges": "payment_id", "invoices": "invoice_id", "subscriptions": "subscription_id"}


def find_by_key(session: Session, idempotency_key: str) -> BillingCorrection | None:
    return session.exec(
        select(BillingCorrection).where(BillingCorrection.idempotency_key == idempotency_key)
    ).first()


def get_correction(session: Session, correction_id: int) -> BillingCorrection:
    correction = session.get(BillingCorrection, correction_id)
    if correction is None:
        raise ValidationError(f"There is no correction #{correction_id}.", field="correction")
    return correction


@contextmanager
def _reader(engine: Engine) -> Iterator[Session]:
    """Reads that may interleave with Stripe calls: each statement commits on its own, so no
    transaction (and on SQLite no lock) is held while Stripe answers."""
    with Session(engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False) as session:
        yield session


def _transition(
    session: Session, correction_id: int, *, version: int, statuses: tuple[str, ...], **values: Any
) -> bool:
    """Move the row on only if it is still at `version` in one of `statuses` (the loser of a race
    changes nothing)."""
    moved = session.execute(
        update(BillingCorrection)
        .where(
            col(BillingCorrection.id) == correction_id,
            col(BillingCorrection.version) == version,
            col(BillingCorrection.status).in_(statuses),
        )
        .values(**values, version=version + 1)
    )
    return moved.rowcount == 1


# -- storing a checked form --------------------------------------------------------------------------


def _reporting_amount(session: Session, checked: Checked) -> int | None:
    if checked.amount is None or checked.currency is None:
        return None
    try:
        return to_reporting(abs(checked.amount), checked.currency, fx_rates(session))
    except MissingFxRate as error:
        raise ValidationError(error.message, field="amount") from None


def _ids(form: CorrectionForm, checked: Checked) -> dict[str, str | None]:
    customer = checked.target.object.get("customer")
    ids: dict[str, str | None] = {
        "customer_id": customer if isinstance(customer, str) else (customer or {}).get("id"),
        "payment_id": None,
        "invoice_id": None,
        "subscription_id": None,
    }
    ids[TARGET_COLUMN[checked.target.resource]] = form.target_id
    return ids


def _account_of(session: Session, form: CorrectionForm, customer_id: str | None) -> int:
    linked = session.get(StripeCustomer, customer_id) if customer_id else None
    if linked is None or linked.account_id != form.account_id:
        raise ValidationError("This object does not belong to the chosen account.", field="target")
    return form.account_id


def _refuse_while_outstanding(session: Session, form: CorrectionForm) -> None:
    """While a correction on the same object is not settled, another one could move money twice."""
    if form.kind not in KINDS:
        return
    column = getattr(BillingCorrection, TARGET_COLUMN[KINDS[form.kind].target])
    pending = session.exec(
        select(BillingCorrection.id).where(
            column == form.target_id, col(BillingCorrection.status).in_(OUTSTANDING)
        )
    ).first()
    if pending is not None:
        raise ValidationError(
            f"Correction #{pending} on this is still being confirmed with Stripe. Check it on the "
            "History page first; then open the form again.",
            field="target",
        )


def recent_reporting(session: Session, account_id: int, *, excluding: int | None = None) -> int:
    """The account's corrections in the rolling window, in the reporting currency."""
    since = utcnow() - timedelta(days=get_settings().correction_approval_window_days)
    query = select(func.coalesce(func.sum(BillingCorrection.amount_reporting), 0)).where(
        BillingCorrection.account_id == account_id,
        col(BillingCorrection.status).in_(COUNTED),
        col(BillingCorrection.requested_at) >= since,
    )
    if excluding is not None:
        query = query.where(BillingCorrection.id != excluding)
    return int(session.exec(query).one())


def _new_row(
    form: CorrectionForm, checked: Checked, actor: Actor, account_id: int, amount_reporting: int | None
) -> BillingCorrection:
    return BillingCorrection(
        kind=form.kind,
        status=CorrectionStatus.PENDING_APPROVAL,
        account_id=account_id,
        **_ids(form, checked),
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


def _insert(
    session: Session, actor: Actor, form: CorrectionForm, checked: Checked, account_id: int
) -> BillingCorrection:
    """Store the row: pending approval above the threshold (alone or with the rolling sum), else approved.

    The account row is locked first (PostgreSQL), and on SQLite the INSERT takes the write lock before
    the sum is read, so two concurrent requests cannot both slip under the threshold.
    """
    session.exec(select(Account.id).where(Account.id == account_id).with_for_update()).first()
    amount_reporting = _reporting_amount(session, checked)
    correction = _new_row(form, checked, actor, account_id, amount_reporting)
    try:
        with session.begin_nested():
            session.add(correction)
            session.flush()
    except IntegrityError:  # the same form submitted concurrently: the other request stored it
        raced = find_by_key(session, form.idempotency_key)
        if raced is None:
            raise
        return raced
    recent = recent_reporting(session, account_id, excluding=correction.id)
    settings = get_settings()
    if not needs_approval(
        amount_reporting=amount_reporting,
        recent_reporting=recent,
        percent_off=checked.percent_off,
        threshold=settings.correction_approval_threshold_minor,
    ):
        correction.status = CorrectionStatus.APPROVED
    session.add(correction)
    session.flush()
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
            "recent_reporting": recent,
            "target": form.target_id,
            "reason_category": form.reason_category,
        },
    )
    return correction


def store(engine: Engine, gateway: StripeGateway, actor: Actor, form: CorrectionForm) -> BillingCorrection:
    """Check the form (fresh Stripe reads, no transaction held) and store the correction in one short
    transaction. The same form submitted twice (same token, so same key) returns the first correction."""
    require_corrector(actor)
    with _reader(engine) as reader:
        existing = find_by_key(reader, form.idempotency_key)
        if existing is not None:
            return existing
        _refuse_while_outstanding(reader, form)
        checked = check(reader, gateway, form)
        account_id = _account_of(reader, form, _ids(form, checked)["customer_id"])
    with session_scope(engine) as session:
        return _insert(session, actor, form, checked, account_id)


# -- decisions -----------------------------------------------------------------------------------------


def _decide(
    session: Session, actor: Actor, correction_id: int, *, reason: str, version: int, status: CorrectionStatus
) -> BillingCorrection:
    require_corrector(actor)
    if not reason.strip():
        raise ValidationError("Give a reason for the decision.", field="decision_reason")
    correction = get_correction(session, correction_id)
    if correction.requested_by == actor.email:
        raise PermissionDenied("You requested this correction; another account manager or admin must decide.")
    if correction.status != CorrectionStatus.PENDING_APPROVAL:
        raise ConflictError(f"Correction #{correction_id} is no longer waiting for approval.")
    if not _transition(
        session,
        correction_id,
        version=version,
        statuses=(CorrectionStatus.PENDING_APPROVAL,),
        status=status,
        decided_by=actor.email,
        decided_at=utcnow(),
        decision_reason=reason.strip(),
    ):
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
    return _decide(
        session, actor, correction_id, reason=reason, version=version, status=CorrectionStatus.APPROVED
    )


def reject(
    session: Session, actor: Actor, correction_id: int, *, reason: str, version: int
) -> BillingCorrection:
    return _decide(
        session, actor, correction_id, reason=reason, version=version, status=CorrectionStatus.REJECTED
    )


# -- sending and settling ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A send this caller owns: the row as claimed, the key to send with, and whether to look first."""

    correction: BillingCorrection
    key: str
    look_first: bool


def _key_for(correction: BillingCorrection) -> str:
    """The first send uses the form's key; a resend of a failed one a fresh key (Stripe would replay
    the refusal it stored under the old one, and failed means nothing happened)."""
    if correction.status == CorrectionStatus.FAILED:
        return f"{correction.idempotency_key}:{correction.attempts + 1}"
    return correction.idempotency_key


def _stale(correction: BillingCorrection) -> bool:
    return (
        correction.status == CorrectionStatus.SENDING
        and correction.sending_at is not None
        and correction.sending_at <= utcnow() - SENDING_GRACE
    )


def _settleable(correction: BillingCorrection) -> bool:
    return correction.status == CorrectionStatus.UNKNOWN or _stale(correction)


def _claim(session: Session, actor: Actor, correction: BillingCorrection, *, settling: bool) -> Claim | None:
    """Commit `sending` with this send's key; None when another caller got there first."""
    if settling:
        key, look_first = correction.sending_key or correction.idempotency_key, True
    else:
        key, look_first = _key_for(correction), False
    now = utcnow()
    values: dict[str, Any] = {
        "status": CorrectionStatus.SENDING,
        "sending_key": key,
        "sending_at": now,
        "attempts": correction.attempts + 1,
    }
    if settling:
        values["checked_at"] = now
    if not _transition(
        session, correction.id or 0, version=correction.version, statuses=(correction.status,), **values
    ):
        return None
    session.refresh(correction)
    audit.record(
        session,
        actor,
        "correction.sending",
        target_type="billing_correction",
        target_id=correction.id,
        account_id=correction.account_id,
        details={"attempt": correction.attempts, "idempotency_key": key, "looks_in_stripe_first": look_first},
    )
    return Claim(correction, key, look_first)


def _result_values(answer: Answer) -> dict[str, Any]:
    if answer.status == CorrectionStatus.EXECUTED and answer.outcome is not None:
        return {
            "status": CorrectionStatus.EXECUTED,
            "error_message": None,
            "executed_at": utcnow(),
            "stripe_result_id": answer.outcome.result_id,
            "result": {**answer.outcome.summary, "found_in_stripe": answer.found},
        }
    message = answer.error.message if answer.error else "no answer"
    if answer.status == CorrectionStatus.FAILED:
        return {"status": CorrectionStatus.FAILED, "error_message": message}
    return {
        "status": CorrectionStatus.UNKNOWN,
        "error_message": f"Stripe's answer did not arrive ({message}). The console looks in Stripe for "
        "the result before anything is sent again.",
    }


def _record(session: Session, actor: Actor, claim: Claim, answer: Answer) -> BillingCorrection:
    """Write down what Stripe said (its own response first; the mirror re-read comes later)."""
    correction_id = claim.correction.id or 0
    values = _result_values(answer)
    if not _transition(
        session,
        correction_id,
        version=claim.correction.version,
        statuses=(CorrectionStatus.SENDING,),
        **values,
    ):
        return get_correction(session, correction_id)  # a resolver took it over meanwhile
    correction = get_correction(session, correction_id)
    session.refresh(correction)
    if answer.outcome is not None:
        update_mirror(session, answer.outcome.mirror)
    details: dict[str, Any] = {"attempt": correction.attempts, "found_in_stripe": answer.found}
    if answer.outcome is not None:
        details["stripe_id"] = answer.outcome.result_id
    if answer.error is not None:
        details.update(error=answer.error.kind, message=answer.error.message)
    audit.record(
        session,
        actor,
        f"correction.{correction.status}",
        target_type="billing_correction",
        target_id=correction_id,
        account_id=correction.account_id,
        details=details,
    )
    return correction


def _carry_out(
    engine: Engine, gateway: StripeGateway, actor: Actor, correction_id: int, *, settling: bool
) -> BillingCorrection:
    with session_scope(engine) as session:
        correction = get_correction(session, correction_id)
        allowed = _settleable(correction) if settling else correction.status in SENDABLE
        claim = _claim(session, actor, correction, settling=settling) if allowed else None
    if claim is None:
        with Session(engine, expire_on_commit=False) as session:
            return _not_claimed(get_correction(session, correction_id))
    answer = attempt(gateway, claim.correction, key=claim.key, look_first=claim.look_first)
    with session_scope(engine) as session:
        recorded = _record(session, actor, claim, answer)
    if recorded.status == CorrectionStatus.EXECUTED:
        refresh_mirror(engine, gateway, correction_id)
    return recorded


def _not_claimed(correction: BillingCorrection) -> BillingCorrection:
    """Someone else is sending or has settled it: show where it is; refuse what can never be sent."""
    if correction.status in (
        CorrectionStatus.EXECUTED,
        CorrectionStatus.SENDING,
        CorrectionStatus.UNKNOWN,
        *SENDABLE,
    ):
        return correction
    raise ConflictError(
        f"Correction #{correction.id} is {correction.status.replace('_', ' ')}; it cannot be executed."
    )


def send(engine: Engine, gateway: StripeGateway, actor: Actor, *, correction_id: int) -> BillingCorrection:
    """Send an approved correction, or a failed one again. Returns it executed, failed or unknown; one
    already sending, executed or unknown is returned as it is, without a call."""
    require_corrector(actor)
    return _carry_out(engine, gateway, actor, correction_id, settling=False)


def check_now(
    engine: Engine, gateway: StripeGateway, actor: Actor, *, correction_id: int
) -> BillingCorrection:
    """Settle an unknown correction (or one stuck in sending): find its result in Stripe and record
    it, or send it again under the same key when it is not there."""
    require_settler(actor)
    return _carry_out(engine, gateway, actor, correction_id, settling=True)


def refresh_mirror(engine: Engine, gateway: StripeGateway, correction_id: int) -> bool:
    """Re-read what an executed correction changed (charge, invoice) into the mirror; False if Stripe
    could not be read (the correction stays executed; `resolve_all` tries again)."""
    with Session(engine, expire_on_commit=False) as session:
        correction = get_correction(session, correction_id)
    if correction.status != CorrectionStatus.EXECUTED or correction.mirrored_at is not None:
        return False
    try:
        mirror = related(gateway, correction)
    except StripeGatewayError:
        return False
    with session_scope(engine) as session:
        update_mirror(session, mirror)
        session.execute(
            update(BillingCorrection)
            .where(col(BillingCorrection.id) == correction_id)
            .values(mirrored_at=utcnow())
        )
    return True


@dataclass
class ResolveReport:
    settled: dict[str, int] = field(default_factory=dict)  # final status -> corrections
    mirrors_refreshed: int = 0
    mirrors_failed: int = 0
    still_sending: int = 0  # sending within the grace period: being sent right now

    def line(self) -> str:
        statuses = ", ".join(f"{status} {count}" for status, count in sorted(self.settled.items())) or "none"
        return (
            f"settled: {statuses}; mirror refreshed {self.mirrors_refreshed}, not yet {self.mirrors_failed}; "
            f"still being sent {self.still_sending}"
        )


def _waiting(engine: Engine) -> tuple[list[int], list[int], int]:
    """Ids to settle (unknown, stale sending), ids whose mirror refresh is due, and fresh sends."""
    with Session(engine) as session:
        rows = session.exec(
            select(BillingCorrection)
            .where(
                or_(
                    col(BillingCorrection.status).in_(OUTSTANDING),
                    (col(BillingCorrection.status) == CorrectionStatus.EXECUTED)
                    & col(BillingCorrection.mirrored_at).is_(None),
                )
            )
            .order_by(BillingCorrection.id)
        ).all()
        settle = [r.id or 0 for r in rows if _settleable(r)]
        mirror = [r.id or 0 for r in rows if r.status == CorrectionStatus.EXECUTED]
        fresh = sum(1 for r in rows if r.status == CorrectionStatus.SENDING and not _stale(r))
    return settle, mirror, fresh


def resolve_all(engine: Engine, gateway: StripeGateway, actor: Actor) -> ResolveReport:
    """The scheduled job: settle every unknown (and stale sending) correction, refresh due mirrors."""
    settle, mirror, fresh = _waiting(engine)
    report = ResolveReport(still_sending=fresh)
    for correction_id in settle:
        status = str(check_now(engine, gateway, actor, correction_id=correction_id).status)
        report.settled[status] = report.settled.get(status, 0) + 1
    for correction_id in mirror:
        if refresh_mirror(engine, gateway, correction_id):
            report.mirrors_refreshed += 1
        else:
            report.mirrors_failed += 1
    return report


# -- submitting and approving ----------------------------------------------------------------


def submit(engine: Engine, gateway: StripeGateway, actor: Actor, form: CorrectionForm) -> BillingCorrection:
    """Store the correction (committed), then send it at once unless it waits for approval."""
    correction = store(engine, gateway, actor, form)
    if correction.status != CorrectionStatus.APPROVED:
        return correction
    return send(engine, gateway, actor, correction_id=correction.id or 0)


def approve_and_execute(
    engine: Engine, gateway: StripeGateway, actor: Actor, correction_id: int, *, reason: str, version: int
) -> BillingCorrection:
    with session_scope(engine) as session:
        approve(session, actor, correction_id, reason=reason, version=version)
    return send(engine, gateway, actor, correction_id=correction_id)
