"""The demo's history: the last demo step, which makes what the other steps planned happen, through the
console's own functions, each at its instant in the past with the console clock frozen there.

In time order: the Zendesk connections an admin added (`zendesk.connections.add_connection`), the
corrections account managers asked for and approvers decided (`billing/corrections/workflow.py`, sent to
the demo Stripe simulator, whose answers the workflow records in the mirror), the privacy requests the
officer logged and moved on (`privacy/requests.py`, `subjects.apply_opt_out`, the export and deletion
services, which search and erase in the demo Stripe and Zendesk simulators) and the team's sign-ins
(`access.auth.login_with_password`, `access.sessions`). So the audit chain holds every one of them,
written by the same code as in the console, in time order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Select, String, cast, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, SQLModel, col

from dashboard.access import auth, sessions
from dashboard.access.identity import Actor
from dashboard.billing.corrections import workflow
from dashboard.billing.corrections.form import CorrectionForm
from dashboard.billing.corrections.validation import open_target
from dashboard.billing.stripe_gateway import StripeGateway
from dashboard.core import audit, clock
from dashboard.demo.context import DemoContext
from dashboard.demo.core import DEMO_PASSWORD
from dashboard.demo.corrections import APPROVER, CorrectionPlan
from dashboard.demo.privacy import OFFICER, RequestPlan, RequestStep
from dashboard.privacy import requests, subjects
from dashboard.privacy.deletions.plan import build_plan
from dashboard.privacy.deletions.steps import confirm_plan, run_step
from dashboard.privacy.exports.service import collect, start_export
from dashboard.privacy.exports.systems import Systems, with_zendesk
from dashboard.simulators.demo import (
    DEMO_STRIPE_KEY,
    DEMO_ZENDESK_EMAIL,
    DEMO_ZENDESK_TOKEN,
    stripe_from_store,
    zendesk_from_store,
)
from dashboard.simulators.stripe import StripeSimulator
from dashboard.zendesk.connections import add_connection
from dashboard.zendesk.gateway import ZendeskGateway
from dashboard.zendesk.sync import SOURCE as ZENDESK_SOURCE
from models import (
    Account,
    AuditEvent,
    BillingCorrection,
    Contact,
    DataExport,
    Installation,
    LoginSession,
    PrivacyRequest,
    PrivacyRequestEvent,
    PrivacyRequestStep,
    StripeCreditNote,
    StripeInvoice,
    StripePayment,
    StripeRefund,
    StripeSubscription,
    User,
    ZendeskConnection,
)
from models.billing import CorrectionStatus

COMMIT_EVERY = 500


_Later = aliased(AuditEvent)


@dataclass(frozen=True)
class _Moment:
    at: datetime
    order: int  # keeps one object's changes in the order they happened when two share an instant
    write: Callable[[Session], Any]  # the console function that made the change, on the history session
    own_transactions: bool = False  # it opens its own (the correction workflow): commit before it


@dataclass
class _World:
    """What the moments need: the actors, the demo Stripe and Zendesk and the requests made so far."""

    engine: Engine
    actors: dict[str, Actor]
    stripe: StripeSimulator
    gateway: StripeGateway
    zendesk: ZendeskGateway
    made: dict[int, PrivacyRequest]  # plan number -> the request create_request made

    def systems(self, session: Session, request: PrivacyRequest) -> Systems:
        """As the console reaches them: Stripe, and Zendesk through the connections made by then."""
        return with_zendesk(session, request, Systems(stripe=self.gateway), self.zendesk)


def generate(ctx: DemoContext) -> None:
    with Session(ctx.engine) as session:
        connected = _connected(session)
    stripe = stripe_from_store(ctx.engine).start()
    zendesk = zendesk_from_store(ctx.engine, subdomains=connected).start()
    try:
        with Session(ctx.engine) as session:
            actors = {
                u.email: Actor(u.email, u.role, u.id, u.name) for u in session.exec(select(User)).scalars()
            }
        world = _World(
            ctx.engine,
            actors,
            stripe,
            StripeGateway(DEMO_STRIPE_KEY, api_base=stripe.url),
            ZendeskGateway(api_base=zendesk.base_url),
            {},
        )
        moments = [*_connections(connected, actors), *_sign_ins(ctx, actors)]
        moments += _corrections(world, ctx.shared.get("corrections", []))
        moments += _privacy(world, ctx.shared.get("privacy_requests", []))
        _replay(ctx.engine, moments)
    finally:
        stripe.stop()
        zendesk.stop()


def _replay(engine: Engine, moments: list[_Moment]) -> None:
    moments.sort(key=lambda m: (m.at, m.order))
    with Session(engine, expire_on_commit=False) as session:
        for done, moment in enumerate(moments, 1):
            if moment.own_transactions:
                session.commit()  # the workflow's transactions must not wait on this one
            with clock.frozen_at(moment.at):
                moment.write(session)
            if moment.own_transactions or done % COMMIT_EVERY == 0:
                session.commit()
        session.commit()


@dataclass(frozen=True)
class _Connected:
    added: datetime  # when the account came into the console
    first_install: datetime


def _connected(session: Session) -> dict[str, _Connected]:
    """The accounts whose installations the Zendesk sync brought in (dashboard/demo/installations.py),
    by subdomain."""
    rows = session.exec(
        select(Account.zendesk_subdomain, Account.created_at, func.min(Installation.installed_at))
        .join(Installation, col(Installation.account_id) == col(Account.id))
        .where(Installation.source == ZENDESK_SOURCE, col(Installation.installed_at).is_not(None))
        .group_by(Account.id, Account.zendesk_subdomain, Account.created_at)
        .order_by(Account.id)
    ).all()
    return {subdomain: _Connected(added, first) for subdomain, added, first in rows}


def _connections(connected: dict[str, _Connected], actors: dict[str, Actor]) -> list[_Moment]:
    admin = next(a for a in actors.values() if a.role == "admin")

    def connect(subdomain: str) -> Callable[[Session], Any]:
        return lambda s: add_connection(
            s, admin, subdomain=subdomain, email=DEMO_ZENDESK_EMAIL, token=DEMO_ZENDESK_TOKEN
        )

    # Connected just before the account's first installation, so the sync has it from the start (but not
    # before the account was in the console).
    return [
        _Moment(max(at.first_install - timedelta(minutes=5), at.added + timedelta(hours=1)), 0, connect(sub))
        for sub, at in connected.items()
    ]


def _sign_ins(ctx: DemoContext, actors: dict[str, Actor]) -> list[_Moment]:
    """Each of the team signed in (a session started) on the morning before now (one each: a password
    check takes half a second)."""

    def sign_in(email: str) -> Callable[[Session], Any]:
        def write(session: Session) -> None:
            signed_in = auth.login_with_password(session, email, DEMO_PASSWORD)
            if signed_in.actor is None:
                raise RuntimeError(f"The demo sign-in of {email} was refused: {signed_in.message}")
            sessions.create_session(session, signed_in.actor, user_agent="Mozilla/5.0 (demo)")

        return write

    morning = (ctx.now - timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    return [
        _Moment(morning + timedelta(minutes=ctx.rng.randint(0, 50)), 0, sign_in(email))
        for email in sorted(actors)
    ]


def _corrections(world: _World, plans: list[CorrectionPlan]) -> list[_Moment]:
    """Each correction submitted as the form does, and, when it waits for approval, decided later."""
    moments = []
    for number, plan in enumerate(plans, 1):
        key = f"demo{number:06d}"
        moments.append(_Moment(plan.requested_at, 1, _submit(world, plan, key), own_transactions=True))
        if plan.decision != "wait":
            moments.append(_Moment(plan.decided_at, 2, _decide(world, plan, key), own_transactions=True))
    return moments


def _submit(world: _World, plan: CorrectionPlan, token: str) -> Callable[[Session], Any]:
    def write(_session: Session) -> None:
        target = open_target(world.gateway, kind=plan.kind, object_id=plan.target_id)
        form = CorrectionForm(
            kind=plan.kind,
            account_id=plan.account_id,
            target_id=plan.target_id,
            fingerprint=target.fingerprint,
            form_token=token,
            reason_category=plan.reason_category,
            reason_text=plan.reason_text,
            **plan.fields,
        )
        requester = world.actors[plan.requested_by]
        stored = workflow.store(world.engine, world.gateway, requester, form)
        if stored.status == CorrectionStatus.APPROVED:
            _refuse_if_planned(world, plan)
            workflow.send(world.engine, world.gateway, requester, correction_id=stored.id or 0)

    return write


def _decide(world: _World, plan: CorrectionPlan, token: str) -> Callable[[Session], Any]:
    def write(session: Session) -> None:
        correction = workflow.find_by_key(session, f"corr_{token}")
        if correction is None or correction.status != CorrectionStatus.PENDING_APPROVAL:
            return  # it went straight through when it was asked
        approver, reason = world.actors[APPROVER], "Checked against the ticket."
        if plan.decision == "reject":
            reason = "No ticket backs this up; ask the customer first."
            workflow.reject(session, approver, correction.id or 0, reason=reason, version=correction.version)
            return
        _refuse_if_planned(world, plan)
        workflow.approve_and_execute(
            world.engine,
            world.gateway,
            approver,
            correction.id or 0,
            reason=reason,
            version=correction.version,
        )

    return write


def _refuse_if_planned(world: _World, plan: CorrectionPlan) -> None:
    """The demo's disputed charge: Stripe refuses its refund as it refuses one of a charged-back charge."""
    if plan.refused_by_stripe:
        world.stripe.fail_next(
            r"^POST /v1/refunds",
            status=400,
            code="charge_disputed",
            message=f"Charge {plan.target_id} has been charged back; cannot issue a refund.",
        )


def _privacy(world: _World, plans: list[RequestPlan]) -> list[_Moment]:
    moments = []
    for number, plan in enumerate(plans):
        moments.append(_Moment(plan.at, 0, _intake(world, number, plan)))
        moments += [
            _Moment(step.at, position, _request_step(world, number, step))
            for position, step in enumerate(plan.steps, 1)
        ]
    return moments


def _intake(world: _World, number: int, plan: RequestPlan) -> Callable[[Session], Any]:
    def write(session: Session) -> None:
        world.made[number] = requests.create_request(
            session, world.actors[OFFICER], **plan.intake, today=clock.today()
        )

    return write


def _request_step(world: _World, number: int, step: RequestStep) -> Callable[[Session], Any]:
    def write(session: Session) -> None:
        request, officer, today = world.made[number], world.actors[OFFICER], clock.today()
        where = {"request_id": request.id or 0, "expected_version": request.version}
        if step.action == "acknowledge":
            requests.acknowledge(session, officer, **where, acknowledged_on=today, today=today)
        elif step.action == "extend":
            requests.extend(session, officer, **where, notified_on=today, today=today, **step.fields)
        elif step.action == "opt_out":
            subjects.apply_opt_out(session, officer, **where)
        elif step.action == "export":
            export = start_export(session, officer, request_id=request.id or 0)
            collect(session, officer, export_id=export.id or 0, systems=world.systems(session, request))
        elif step.action == "delete":
            _delete(session, world, officer, request)
        else:
            getattr(requests, step.action)(session, officer, **where, **step.fields)

    return write


def _delete(session: Session, world: _World, officer: Actor, request: PrivacyRequest) -> None:
    systems = world.systems(session, request)
    plan = build_plan(session, request, systems)
    confirmed = confirm_plan(
        session,
        officer,
        request_id=request.id or 0,
        plan=plan,
        cancellation_confirmed=True,
        systems_unavailable=systems.unavailable,
    )
    for step in confirmed:
        if step.status == "pending":
            run_step(session, officer, step_id=step.id or 0, systems=systems)


def _unaudited(
    model: type[SQLModel],
    target_type: str,
    action: str | None = None,
    *,
    target: Any = None,
    at: Any = None,
) -> Select[Any]:
    """How many rows of `model` have no audit row on them (`target`, else their id): with `action` if
    given, at their instant `at` if given."""
    target = target if target is not None else model.id  # type: ignore[attr-defined]
    audited = select(AuditEvent.id).where(
        AuditEvent.target_type == target_type, AuditEvent.target_id == cast(target, String)
    )
    if action is not None:
        audited = audited.where(AuditEvent.action == action)
    if at is not None:
        audited = audited.where(AuditEvent.at == at)
    return select(func.count()).select_from(model).where(~audited.exists())


def _before(when: Any, parent_when: Any, *, on: Any) -> Select[Any]:
    """How many rows are dated `when` earlier than the row they refer to (joined `on`) is `parent_when`."""
    return (
        select(func.count())
        .select_from(when.class_)
        .join(parent_when.class_, on)
        .where(col(when) < col(parent_when))
    )


def _after(when: Any, now: datetime) -> Select[Any]:
    return select(func.count()).select_from(when.class_).where(when > now)


def history_problems(session: Session, *, now: datetime) -> list[str]:
    """What breaks the demo's story, as sentences (empty when it holds): the audit chain not verifying,
    audit rows out of time order, a correction, request change, export, deletion step or sign-in without
    its audit row, objects dated before what they refer to, anything dated after `now`. One query per
    rule, so it runs on `large` too."""
    checks = {
        "corrections without their request in the audit log": _unaudited(
            BillingCorrection, "billing_correction", "correction.requested"
        ),
        "executed corrections without their outcome in the audit log": _unaudited(
            BillingCorrection, "billing_correction", "correction.executed"
        ).where(BillingCorrection.status == "executed"),
        "privacy requests without their creation in the audit log": _unaudited(
            PrivacyRequest, "privacy_request", "privacy_request_created"
        ),
        "privacy request changes without their audit row": _unaudited(
            PrivacyRequestEvent,
            "privacy_request",
            target=PrivacyRequestEvent.request_id,
            at=PrivacyRequestEvent.at,
        ),
        "exports without their start in the audit log": _unaudited(
            DataExport, "data_export", "data_export_started"
        ),
        "deletion steps run without their audit row": _unaudited(
            PrivacyRequestStep, "privacy_request_step", "deletion_step_done"
        ).where(PrivacyRequestStep.status == "done"),
        "sign-ins without their audit row": _unaudited(
            LoginSession, "user", "login", target=LoginSession.user_id, at=LoginSession.created_at
        ),
        "audit rows out of time order": select(func.count())
        .select_from(AuditEvent)
        .join(_Later, _Later.id == AuditEvent.id + 1)
        .where(_Later.at < AuditEvent.at),
        "refunds before their payment": _before(
            StripeRefund.created,
            StripePayment.created,
            on=col(StripePayment.id) == col(StripeRefund.charge_id),
        ),
        "payments before their invoice": _before(
            StripePayment.created,
            StripeInvoice.created,
            on=col(StripeInvoice.id) == col(StripePayment.invoice_id),
        ),
        "credit notes before their invoice": _before(
            StripeCreditNote.created,
            StripeInvoice.created,
            on=col(StripeInvoice.id) == col(StripeCreditNote.invoice_id),
        ),
        "corrections before the payment they correct": _before(
            BillingCorrection.requested_at,
            StripePayment.created,
            on=col(StripePayment.id) == col(BillingCorrection.payment_id),
        ),
        "corrections before the invoice they correct": _before(
            BillingCorrection.requested_at,
            StripeInvoice.created,
            on=col(StripeInvoice.id) == col(BillingCorrection.invoice_id),
        ),
        "corrections before the subscription they correct": _before(
            BillingCorrection.requested_at,
            StripeSubscription.created,
            on=col(StripeSubscription.id) == col(BillingCorrection.subscription_id),
        ),
        "corrections before their account": _before(
            BillingCorrection.requested_at,
            Account.created_at,
            on=col(Account.id) == col(BillingCorrection.account_id),
        ),
        "privacy requests before their account": _before(
            PrivacyRequest.created_at,
            Account.created_at,
            on=col(Account.id) == col(PrivacyRequest.account_id),
        ),
        "privacy requests before their contact": _before(
            PrivacyRequest.created_at,
            Contact.created_at,
            on=col(Contact.id) == col(PrivacyRequest.contact_id),
        ),
        "Zendesk connections before their account": _before(
            ZendeskConnection.created_at,
            Account.created_at,
            on=col(Account.zendesk_subdomain) == col(ZendeskConnection.subdomain),
        ),
        "corrections decided or sent before they were asked": select(func.count())
        .select_from(BillingCorrection)
        .where(
            or_(
                col(BillingCorrection.decided_at) < col(BillingCorrection.requested_at),
                col(BillingCorrection.executed_at) < col(BillingCorrection.requested_at),
            )
        ),
        "privacy request events before the request": _before(
            PrivacyRequestEvent.at,
            PrivacyRequest.created_at,
            on=col(PrivacyRequest.id) == col(PrivacyRequestEvent.request_id),
        ),
        "refunds after now": _after(StripeRefund.created, now),
        "payments after now": _after(StripePayment.created, now),
        "audit rows after now": _after(AuditEvent.at, now),
        "refunds before the correction that made them": _before(
            StripeRefund.created,
            BillingCorrection.requested_at,
            on=col(BillingCorrection.stripe_result_id) == col(StripeRefund.id),
        ),
        "exports before their request": _before(
            DataExport.created_at,
            PrivacyRequest.created_at,
            on=col(PrivacyRequest.id) == col(DataExport.request_id),
        ),
        "deletion steps before their request": _before(
            PrivacyRequestStep.started_at,
            PrivacyRequest.created_at,
            on=col(PrivacyRequest.id) == col(PrivacyRequestStep.request_id),
        ),
        "sign-ins before the user existed": _before(
            LoginSession.created_at, User.created_at, on=col(User.id) == col(LoginSession.user_id)
        ),
        "sign-ins after now": _after(LoginSession.created_at, now),
        "privacy request events after now": _after(PrivacyRequestEvent.at, now),
    }
    found = {rule: session.execute(query).scalar_one() for rule, query in checks.items()}
    chain = audit.verify_chain(session)
    broken = [] if chain.ok else [f"the audit chain does not verify: {chain.problem}"]
    return broken + [f"{count} {rule}" for rule, count in found.items() if count]
