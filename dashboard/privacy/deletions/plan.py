"""The deletion plan: per system what will be deleted or anonymised, what is kept and why."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from dashboard.privacy.exports.store import actor_hashes, subject_contacts
from dashboard.privacy.exports.stripe import find_customers
from dashboard.privacy.exports.systems import Systems, accounts_summary
from models import PrivacyRequest, StripeCustomer, UsageEvent

OPEN_SUBSCRIPTION_STATUSES = ("active", "trialing", "past_due", "unpaid", "incomplete", "paused")


@dataclass
class PlanLine:
    system: str
    action: str  # delete | anonymise | keep | not searched
    what: str
    why: str = ""


@dataclass
class DeletionPlan:
    request_id: int
    lines: list[PlanLine] = field(default_factory=list)
    # what the steps act on, fixed when the plan is confirmed (a resumed step does not search again)
    targets: dict[str, Any] = field(default_factory=dict)
    open_subscriptions: list[dict[str, Any]] = field(default_factory=list)
    near_matches: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def build_plan(session: Session, request: PrivacyRequest, systems: Systems) -> DeletionPlan:
    """Look the subject up everywhere (Zendesk first: its user ids attribute usage) and describe the work.
    Raises StripeGatewayError / ZendeskAccountError when a system cannot be read: no plan then."""
    email = request.subject_email
    plan = DeletionPlan(request_id=request.id)
    zendesk_users = _plan_zendesk(plan, request, systems, email)
    _plan_store(session, plan, email, zendesk_users)
    _plan_stripe(plan, systems, email)
    return plan


def _plan_zendesk(
    plan: DeletionPlan, request: PrivacyRequest, systems: Systems, email: str
) -> list[dict[str, Any]]:
    users: list[dict[str, Any]] = []
    if not systems.zendesk:
        plan.lines.append(PlanLine("zendesk", "not searched", systems.unavailable.get("zendesk", "")))
    for target in systems.zendesk:
        matches = target.client.users_by_email(email)
        users += [
            {"subdomain": target.subdomain, "account_id": target.account_id, "user_id": u["id"]}
            for u in matches.exact
        ]
        plan.near_matches += [
            {"system": "zendesk", "where": target.subdomain, "id": u.get("id"), "email": u.get("email")}
            for u in matches.near
        ]
    plan.targets["zendesk_users"] = users
    if users:
        where = accounts_summary(list({u["subdomain"] for u in users}))
        rule = (
            " Processor request: only after the client's recorded instruction."
            if request.is_processor
            else ""
        )
        plan.lines.append(
            PlanLine(
                "zendesk",
                "delete",
                f"{len(users)} Zendesk user(s) ({where}): soft delete, then permanent "
                f"deletion (their tickets lose the link to the person).{rule}",
            )
        )
    elif systems.zendesk:
        plan.lines.append(
            PlanLine("zendesk", "delete", "No Zendesk user has this exact email: nothing to do.")
        )
    return users


def _plan_store(
    session: Session, plan: DeletionPlan, email: str, zendesk_users: list[dict[str, Any]]
) -> None:
    contacts = subject_contacts(session, email)
    hashes = actor_hashes(zendesk_users)
    events = (
        session.exec(
            select(func.count()).select_from(UsageEvent).where(UsageEvent.actor_hash.in_(hashes))
        ).one()
        if hashes
        else 0
    )
    mirrored = session.exec(
        select(func.count())
        .select_from(StripeCustomer)
        .where(func.lower(StripeCustomer.email) == email.lower())
    ).one()
    plan.targets.update(contact_ids=[c.id for c in contacts], actor_hashes=hashes)
    plan.lines += [
        PlanLine(
            "store",
            "anonymise",
            f"{len(contacts)} contact record(s): name, email, phone and job "
            "title replaced; marketing opt-out kept as a flag.",
        ),
        PlanLine(
            "store",
            "anonymise",
            f"{events:,} usage event(s): IP address and user agent removed, and "
            "the actor mapping replaced by an unlinkable value (counts stay right).",
        ),
        PlanLine(
            "store", "anonymise", f"{mirrored} mirrored Stripe customer record(s): email and name removed."
        ),
        PlanLine(
            "store",
            "keep",
            "This privacy request, its timeline and the audit log.",
            "Proof that the request was answered (legal obligation); they hold the email only.",
        ),
    ]


def _plan_stripe(plan: DeletionPlan, systems: Systems, email: str) -> None:
    if systems.stripe is None:
        plan.targets["stripe_customers"] = []
        plan.lines.append(PlanLine("stripe", "not searched", systems.unavailable.get("stripe", "")))
        return
    exact, near = find_customers(systems.stripe, email)
    plan.targets["stripe_customers"] = [c["id"] for c in exact]
    plan.near_matches += [
        {"system": "stripe", "where": "customers", "id": c["id"], "email": c.get("email")} for c in near
    ]
    paid = 0
    for customer in exact:
        for sub in systems.stripe.customer_objects("subscriptions", customer["id"]):
            if sub.get("status") in OPEN_SUBSCRIPTION_STATUSES:
                plan.open_subscriptions.append(
                    {"id": sub["id"], "customer": customer["id"], "status": sub.get("status")}
                )
        paid += sum(
            1
            for i in systems.stripe.customer_objects("invoices", customer["id"])
            if i.get("status") == "paid"
        )
    plan.lines.append(
        PlanLine(
            "stripe",
            "delete",
            f"{len(exact)} Stripe customer(s): deleted, which cancels "
            f"their subscriptions ({len(plan.open_subscriptions)} still open) and "
            "removes saved cards.",
        )
    )
    if paid:
        plan.lines.append(
            PlanLine(
                "stripe",
                "keep",
                f"{paid} paid invoice(s) stay in Stripe.",
                "Tax law requires invoices to be kept (typically 6 to 10 years).",
            )
        )
