"""The demo's history in the audit chain: the last demo step, so every earlier step's rows exist.

What the other steps generated happened at instants in the past (a correction requested, approved and
sent; a privacy request created, assigned, answered). Here each of those moments gets the audit row the
console writes for it, in time order: `dashboard.core.audit.record_many` (the chain and hashes `record` makes,
in one statement, so `large`'s 40k rows take seconds). The Zendesk connections the demo's Zendesk
simulator answers for are added through `zendesk_connections.add_connection` with the console clock
frozen at their instant, as an admin would have added them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from dashboard.access.identity import Actor
from dashboard.core import audit, clock
from dashboard.demo.context import DemoContext
from dashboard.simulators.demo import DEMO_ZENDESK_EMAIL, DEMO_ZENDESK_TOKEN
from dashboard.zendesk.connections import add_connection
from models import (
    Account,
    AuditEvent,
    BillingCorrection,
    Installation,
    PrivacyRequest,
    PrivacyRequestEvent,
    StripeCreditNote,
    StripeInvoice,
    StripePayment,
    StripeRefund,
    StripeSubscription,
    User,
)

# Zendesk accounts the demo holds API credentials for (the first accounts with an installation): enough
# for every screen, while an export still searches each of them in seconds on `large`.
MAX_ZENDESK_CONNECTIONS = 300
COMMIT_EVERY = 500
# The console's audit action for each timeline event of a privacy request (dashboard/privacy/requests.py).
PRIVACY_ACTIONS = {
    "created": "privacy_request_created",
    "assigned": "privacy_request_assigned",
    "acknowledged": "privacy_request_acknowledged",
    "forwarded_to_client": "privacy_request_forwarded",
    "client_instruction": "privacy_request_client_instruction",
    "extended": "privacy_request_extended",
    "status_changed": "privacy_request_status_changed",
    "identity_confirmed": "privacy_request_identity_confirmed",
    "note": "privacy_request_note_added",
}


_Later = aliased(AuditEvent)


@dataclass(frozen=True)
class _Moment:
    at: datetime
    order: int  # keeps one object's changes in the order they happened when two share an instant
    entry: audit.Entry | None = None  # an audit row for a change the other steps already stored
    write: Callable[[Session], Any] | None = None  # or a console function that makes the change


def generate(ctx: DemoContext) -> None:
    with Session(ctx.engine) as session:
        actors = {u.email: Actor(u.email, u.role, u.id, u.name) for u in session.exec(select(User)).scalars()}
        moments = [
            *_connections(session, actors),
            *_corrections(session, actors),
            *_privacy(session, actors),
        ]
    moments.sort(key=lambda m: (m.at, m.order))
    with Session(ctx.engine) as session:
        pending: list[audit.Entry] = []
        for moment in moments:
            if moment.entry is not None:
                pending.append(moment.entry)
                continue
            audit.record_many(session, pending)  # what happened before, first: the chain is in time order
            pending = []
            with clock.frozen_at(moment.at):
                moment.write(session)
        audit.record_many(session, pending)
        session.commit()


def _connections(session: Session, actors: dict[str, Actor]) -> list[_Moment]:
    admin = next(a for a in actors.values() if a.role == "admin")
    first_installs = session.exec(
        select(Account.zendesk_subdomain, Installation.installed_at)
        .join(Installation, col(Installation.account_id) == col(Account.id))
        .where(col(Installation.installed_at).is_not(None))
        .order_by(Account.id, Installation.installed_at)
    ).all()
    connected: dict[str, datetime] = {}
    for subdomain, installed_at in first_installs:
        if subdomain not in connected and len(connected) < MAX_ZENDESK_CONNECTIONS:
            connected[subdomain] = installed_at

    def connect(subdomain: str) -> Callable[[Session], Any]:
        return lambda s: add_connection(
            s, admin, subdomain=subdomain, email=DEMO_ZENDESK_EMAIL, token=DEMO_ZENDESK_TOKEN
        )

    # Connected just before the account's first installation, so the sync has it from the start.
    return [_Moment(at - timedelta(minutes=5), 0, write=connect(sub)) for sub, at in connected.items()]


def _logged(at: datetime, order: int, actor: Actor, action: str, **fields: Any) -> _Moment:
    return _Moment(at, order, entry=audit.Entry(actor, action, at, **fields))


def _corrections(session: Session, actors: dict[str, Actor]) -> list[_Moment]:
    """What `billing/corrections/workflow.py` logs as a correction is asked, decided, sent, answered."""
    moments = []
    for c in session.exec(select(BillingCorrection).order_by(BillingCorrection.id)).scalars():
        where = {"target_type": "billing_correction", "target_id": c.id, "account_id": c.account_id}
        requester = actors[c.requested_by]
        asked = {
            "kind": c.kind,
            "amount": c.amount,
            "currency": c.currency,
            "target": c.payment_id or c.invoice_id or c.subscription_id,
        }
        moments.append(_logged(c.requested_at, 1, requester, "correction.requested", **where, details=asked))
        if c.decided_at and c.decided_by:
            decision = "rejected" if c.status == "rejected" else "approved"
            reason = {"reason": c.decision_reason or ""}
            moments.append(
                _logged(
                    c.decided_at, 2, actors[c.decided_by], f"correction.{decision}", **where, details=reason
                )
            )
        if c.sending_at:
            sender = actors[c.decided_by] if c.decided_by else requester
            sending = {"attempt": 1, "idempotency_key": c.sending_key, "looks_in_stripe_first": False}
            moments.append(_logged(c.sending_at, 3, sender, "correction.sending", **where, details=sending))
            outcome: dict[str, Any] = {"attempt": 1, "found_in_stripe": False}
            if c.stripe_result_id:
                outcome["stripe_id"] = c.stripe_result_id
            if c.error_message:
                outcome.update(error="invalid_request", message=c.error_message)
            answered = c.executed_at or c.sending_at
            moments.append(_logged(answered, 4, sender, f"correction.{c.status}", **where, details=outcome))
    return moments


def _privacy(session: Session, actors: dict[str, Actor]) -> list[_Moment]:
    """One audit row per timeline event, as `dashboard/privacy/requests.py` writes them together."""
    accounts = dict(session.exec(select(PrivacyRequest.id, PrivacyRequest.account_id)).all())
    events = session.exec(select(PrivacyRequestEvent).order_by(PrivacyRequestEvent.id)).scalars()
    return [
        _logged(
            event.at,
            position,
            actors[event.actor],
            PRIVACY_ACTIONS[event.kind],
            target_type="privacy_request",
            target_id=event.request_id,
            account_id=accounts.get(event.request_id),
            details=event.details or {},
        )
        for position, event in enumerate(events)
    ]


def history_problems(session: Session, *, now: datetime) -> list[str]:
    """What breaks the demo's story, as sentences (empty when it holds): audit rows out of time order,
    objects dated before what they refer to, anything dated after `now`. One query per rule, so it
    runs on `large` too."""
    checks = {
        "audit rows out of time order": select(func.count())
        .select_from(AuditEvent)
        .join(_Later, _Later.id == AuditEvent.id + 1)
        .where(_Later.at < AuditEvent.at),
        "refunds before their payment": select(func.count())
        .select_from(StripeRefund)
        .join(StripePayment, col(StripePayment.id) == col(StripeRefund.charge_id))
        .where(col(StripeRefund.created) < col(StripePayment.created)),
        "payments before their invoice": select(func.count())
        .select_from(StripePayment)
        .join(StripeInvoice, col(StripeInvoice.id) == col(StripePayment.invoice_id))
        .where(col(StripePayment.created) < col(StripeInvoice.created)),
        "credit notes before their invoice": select(func.count())
        .select_from(StripeCreditNote)
        .join(StripeInvoice, col(StripeInvoice.id) == col(StripeCreditNote.invoice_id))
        .where(col(StripeCreditNote.created) < col(StripeInvoice.created)),
        "corrections before the payment they correct": select(func.count())
        .select_from(BillingCorrection)
        .join(StripePayment, col(StripePayment.id) == col(BillingCorrection.payment_id))
        .where(col(BillingCorrection.requested_at) < col(StripePayment.created)),
        "corrections before the invoice they correct": select(func.count())
        .select_from(BillingCorrection)
        .join(StripeInvoice, col(StripeInvoice.id) == col(BillingCorrection.invoice_id))
        .where(col(BillingCorrection.requested_at) < col(StripeInvoice.created)),
        "corrections before the subscription they correct": select(func.count())
        .select_from(BillingCorrection)
        .join(StripeSubscription, col(StripeSubscription.id) == col(BillingCorrection.subscription_id))
        .where(col(BillingCorrection.requested_at) < col(StripeSubscription.created)),
        "corrections decided or sent before they were asked": select(func.count())
        .select_from(BillingCorrection)
        .where(
            or_(
                col(BillingCorrection.decided_at) < col(BillingCorrection.requested_at),
                col(BillingCorrection.executed_at) < col(BillingCorrection.requested_at),
            )
        ),
        "privacy request events before the request": select(func.count())
        .select_from(PrivacyRequestEvent)
        .join(PrivacyRequest, col(PrivacyRequest.id) == col(PrivacyRequestEvent.request_id))
        .where(col(PrivacyRequestEvent.at) < col(PrivacyRequest.created_at)),
        "refunds after now": select(func.count()).select_from(StripeRefund).where(StripeRefund.created > now),
        "payments after now": select(func.count())
        .select_from(StripePayment)
        .where(StripePayment.created > now),
        "audit rows after now": select(func.count()).select_from(AuditEvent).where(AuditEvent.at > now),
        "privacy request events after now": select(func.count())
        .select_from(PrivacyRequestEvent)
        .where(PrivacyRequestEvent.at > now),
    }
    found = {rule: session.execute(query).scalar_one() for rule, query in checks.items()}
    return [f"{count} {rule}" for rule, count in found.items() if count]
