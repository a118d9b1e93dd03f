"""Deletion steps: one PrivacyRequestStep per system, run and verified on its own, resumable.

A confirmed plan fixes the targets (contact ids, actor hashes, Stripe customer ids, Zendesk user ids),
so a resumed or retried step acts on exactly what the officer saw. A finished step is never run again;
within a step, each target already handled is skipped, and a delete that finds nothing counts as done.
Callers commit after each step, so a crash loses at most the step that was running.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, select

from dashboard.access.identity import Actor
from dashboard.billing.stripe_gateway import StripeGateway, StripeGatewayError
from dashboard.core import audit
from dashboard.core.errors import ValidationError
from dashboard.privacy.deletions.plan import DeletionPlan
from dashboard.privacy.exports.systems import Systems
from dashboard.privacy.requests import get_request
from dashboard.zendesk.gateway import ZendeskAccountError, ZendeskClient
from models import Contact, PrivacyRequest, PrivacyRequestStep, StripeCustomer, UsageActorDay, UsageEvent
from models.types import ACTOR_HASH_BYTES, utcnow

SYSTEM_ORDER = ("store", "stripe", "zendesk")
FINISHED = ("done", "skipped")


class StepError(Exception):
    """A step could not finish (system unavailable, or the check afterwards still found the data)."""


# --- reading ---------------------------------------------------------------------------------------------


def deletion_steps(session: Session, request_id: int) -> list[PrivacyRequestStep]:
    steps = session.exec(
        select(PrivacyRequestStep).where(
            PrivacyRequestStep.request_id == request_id, PrivacyRequestStep.operation == "delete"
        )
    ).all()
    return sorted(steps, key=lambda s: SYSTEM_ORDER.index(s.system))


def check_deletable(request: PrivacyRequest) -> None:
    if request.type != "deletion":
        raise ValidationError("Only deletion requests delete data.", field="request")
    allowed = ("in_progress", "awaiting_client") if request.is_processor else ("in_progress",)
    if request.status not in allowed:
        raise ValidationError(
            "Confirm the subject's identity (request in progress) before planning a deletion.",
            field="request",
        )


def _check_processor_rule(request: PrivacyRequest) -> None:
    if request.is_processor and not request.client_instruction:
        raise ValidationError(
            "This is a processor request: nothing is deleted before the client's "
            "instruction is recorded on the request.",
            field="client_instruction",
        )


# --- confirming the plan ---------------------------------------------------------------------------------


def confirm_plan(
    session: Session,
    actor: Actor,
    *,
    request_id: int,
    plan: DeletionPlan,
    cancellation_confirmed: bool,
    systems_unavailable: dict[str, str],
) -> list[PrivacyRequestStep]:
    """Turn the plan the officer saw into one step per system. Open subscriptions need the officer's
    explicit confirmation that deleting the customer cancels them."""
    request = get_request(session, request_id)
    check_deletable(request)
    if deletion_steps(session, request_id):
        raise ValidationError(
            "A deletion plan was already confirmed for this request; run or retry its steps.", field="plan"
        )
    if plan.request_id != request_id:
        raise ValidationError("This plan belongs to another request.", field="plan")
    if plan.open_subscriptions and not cancellation_confirmed:
        raise ValidationError(
            f"{len(plan.open_subscriptions)} subscription(s) are still open. Cancel them "
            "first, or confirm that deleting the customer cancels them.",
            field="confirm_cancellation",
        )
    targets = plan.targets
    per_system = {
        "store": {
            "contact_ids": targets.get("contact_ids", []),
            "actor_hashes": targets.get("actor_hashes", []),
        },
        "stripe": {"customers": targets.get("stripe_customers", [])},
        "zendesk": {"users": targets.get("zendesk_users", [])},
    }
    now = utcnow()
    steps = []
    for system in SYSTEM_ORDER:
        skipped = system in systems_unavailable
        step = PrivacyRequestStep(
            request_id=request_id,
            operation="delete",
            system=system,
            status="skipped" if skipped else "pending",
            last_error=systems_unavailable.get(system),
            result={
                "targets": per_system[system],
                "plan": [line.__dict__ for line in plan.lines if line.system == system],
                "confirmed_by": actor.email,
                "confirmed_at": now.isoformat(),
                "cancellation_confirmed": cancellation_confirmed,
            },
        )
        session.add(step)
        steps.append(step)
    session.flush()
    audit.record(
        session,
        actor,
        "deletion_plan_confirmed",
        target_type="privacy_request",
        target_id=request_id,
        account_id=request.account_id,
        details={
            "stripe_customers": len(per_system["stripe"]["customers"]),
            "zendesk_users": len(per_system["zendesk"]["users"]),
            "contacts": len(per_system["store"]["contact_ids"]),
            "open_subscriptions": len(plan.open_subscriptions),
            "cancellation_confirmed": cancellation_confirmed,
            "skipped": sorted(systems_unavailable),
        },
    )
    return steps


# --- running a step --------------------------------------------------------------------------------------


def run_step(session: Session, actor: Actor, *, step_id: int, systems: Systems) -> PrivacyRequestStep:
    """Run (or retry) one step and check afterwards that the lookup comes back empty. A finished step is
    returned as is, without calling anything."""
    step = session.get(PrivacyRequestStep, step_id)
    if step is None or step.operation != "delete":
        raise ValidationError("No such deletion step.", field="step")
    if step.status in FINISHED:
        return step
    request = get_request(session, step.request_id)
    _check_processor_rule(request)
    now = utcnow()
    step.attempts += 1
    step.status, step.started_at, step.done_by, step.last_error = "running", now, actor.email, None
    progress = dict(step.result.get("progress") or {})
    try:
        _RUNNERS[step.system](session, request, step.result["targets"], progress, systems)
        step.verified_at = _VERIFIERS[step.system](session, request, step.result["targets"], systems)
        step.status = "done"
    except (StripeGatewayError, ZendeskAccountError, StepError) as error:
        step.status = "failed"
        step.last_error = getattr(error, "message", None) or str(error)
    step.finished_at = utcnow()
    step.result = {**step.result, "progress": progress}
    session.add(step)
    audit.record(
        session,
        actor,
        f"deletion_step_{step.status}",
        target_type="privacy_request_step",
        target_id=step.id,
        account_id=request.account_id,
        details={
            "request_id": request.id,
            "system": step.system,
            "attempt": step.attempts,
            "error": step.last_error,
            "progress": {k: len(v) for k, v in progress.items()},
        },
    )
    session.flush()
    return step


def _anonymise_store(
    session: Session,
    request: PrivacyRequest,
    targets: dict[str, Any],
    progress: dict[str, list],
    _systems: Systems,
) -> None:
    now = utcnow()
    for contact in session.exec(
        select(Contact).where(Contact.id.in_(targets["contact_ids"]), Contact.anonymized_at.is_(None))
    ).all():
        contact.name, contact.email = "Erased person", f"erased-contact-{contact.id}@erased.invalid"
        contact.phone, contact.job_title = "", ""
        contact.anonymized_at, contact.updated_at = now, now
        session.add(contact)
        progress.setdefault("contacts", []).append(contact.id)
    for actor_hash in targets["actor_hashes"]:
        # One per person, so distinct-actor counts stay right.
        unlinkable = secrets.token_hex(ACTOR_HASH_BYTES)
        session.execute(
            update(UsageEvent)
            .where(UsageEvent.actor_hash == actor_hash)
            .values(actor_hash=unlinkable, ip_address=None, agent_id=None)
        )
        session.execute(
            update(UsageActorDay).where(UsageActorDay.actor_hash == actor_hash).values(actor_hash=unlinkable)
        )
        progress.setdefault("actor_mappings", []).append(actor_hash[:8])
    mirrored = func.lower(StripeCustomer.email) == request.subject_email.lower()
    session.execute(update(StripeCustomer).where(mirrored).values(email=None, name=None))
    session.flush()


def _verify_store(
    session: Session, request: PrivacyRequest, targets: dict[str, Any], _systems: Systems
) -> datetime:
    email = request.subject_email.lower()
    left = {
        "contacts": session.exec(
            select(func.count())
            .select_from(Contact)
            .where(func.lower(Contact.email) == email, Contact.anonymized_at.is_(None))
        ).one(),
        "usage events": session.exec(
            select(func.count())
            .select_from(UsageEvent)
            .where(UsageEvent.actor_hash.in_(targets["actor_hashes"] or [""]))
        ).one(),
        "mirrored Stripe customers": session.exec(
            select(func.count()).select_from(StripeCustomer).where(func.lower(StripeCustomer.email) == email)
        ).one(),
    }
    _require_empty(left)
    return utcnow()


def _delete_stripe(
    _session: Session,
    _request: PrivacyRequest,
    targets: dict[str, Any],
    progress: dict[str, list],
    systems: Systems,
) -> None:
    if not targets["customers"]:
        return
    gateway = _stripe(systems, targets)
    for customer_id in targets["customers"]:
        if customer_id in progress.get("deleted", []):
            continue
        removed_now = gateway.delete_customer(customer_id)
        progress.setdefault("deleted", []).append(customer_id)
        if not removed_now:
            progress.setdefault("already_gone", []).append(customer_id)


def _verify_stripe(
    _session: Session, _request: PrivacyRequest, targets: dict[str, Any], systems: Systems
) -> datetime:
    if targets["customers"]:
        gateway = _stripe(systems, targets)
        _require_empty({"Stripe customers": [c for c in targets["customers"] if gateway.customer_exists(c)]})
    return utcnow()


def _stripe(systems: Systems, targets: dict[str, Any]) -> StripeGateway:
    if systems.stripe is None:
        raise StepError("Stripe is not configured here (STRIPE_API_KEY), so the customers cannot be deleted.")
    return systems.stripe


def _delete_zendesk(
    _session: Session,
    _request: PrivacyRequest,
    targets: dict[str, Any],
    progress: dict[str, list],
    systems: Systems,
) -> None:
    for user in targets["users"]:
        client = _zendesk_client(systems, user["subdomain"])
        key = f"{user['subdomain']}:{user['user_id']}"
        if key not in progress.get("soft_deleted", []):
            client.soft_delete_user(user["user_id"])
            progress.setdefault("soft_deleted", []).append(key)
        if key not in progress.get("permanently_deleted", []):
            client.permanently_delete_user(user["user_id"])
            progress.setdefault("permanently_deleted", []).append(key)


def _verify_zendesk(
    _session: Session, request: PrivacyRequest, targets: dict[str, Any], systems: Systems
) -> datetime:
    found, window = [], 0.0
    for subdomain in sorted({u["subdomain"] for u in targets["users"]}):
        ids = {u["user_id"] for u in targets["users"] if u["subdomain"] == subdomain}
        client = _zendesk_client(systems, subdomain)
        found += [f"{subdomain}:{i}" for i in client.users_still_listed(request.subject_email, ids)]
        window = max(window, client.check_window)
    if found:
        raise StepError(
            f"Checked afterwards and still found Zendesk users: {len(found)} ({', '.join(found)}), after "
            f"searching again with backoff for {window:.0f} s (ZENDESK_DELETION_CHECK_WINDOW_SECONDS). "
            "Zendesk's search can list a deleted user for a while: run the step again later; it re-checks."
        )
    return utcnow()


def _zendesk_client(systems: Systems, subdomain: str) -> ZendeskClient:
    client = systems.zendesk_client(subdomain)
    if client is None:
        raise StepError(f"No enabled Zendesk connection for {subdomain}: its user cannot be deleted here.")
    return client


def _require_empty(found: dict[str, Any]) -> None:
    left = {name: value for name, value in found.items() if value}
    if left:
        described = ", ".join(
            f"{name}: {value if isinstance(value, int) else len(value)}" for name, value in left.items()
        )
        raise StepError(f"Checked afterwards and still found {described}.")


_RUNNERS: dict[str, Callable[..., None]] = {
    "store": _anonymise_store,
    "stripe": _delete_stripe,
    "zendesk": _delete_zendesk,
}
_VERIFIERS: dict[str, Callable[..., datetime]] = {
    "store": _verify_store,
    "stripe": _verify_stripe,
    "zendesk": _verify_zendesk,
}


# --- the record ------------------------------------------------------------------------------------------


def deletion_record(session: Session, request_id: int) -> dict[str, Any]:
    """What was done, when and by whom, per system: the downloadable proof of the deletion."""
    request = get_request(session, request_id)
    steps = deletion_steps(session, request_id)
    if not steps:
        raise ValidationError("No deletion plan was confirmed for this request yet.", field="plan")
    first = steps[0].result
    return {
        "request_id": request.id,
        "request_type": request.type,
        "processor_request": request.is_processor,
        "client_instruction_at": request.client_instruction_at.isoformat()
        if request.client_instruction_at
        else None,
        "plan_confirmed_by": first.get("confirmed_by"),
        "plan_confirmed_at": first.get("confirmed_at"),
        "cancellation_of_open_subscriptions_confirmed": first.get("cancellation_confirmed"),
        "generated_at": utcnow().isoformat(),
        "complete": all(s.status in FINISHED for s in steps),
        "steps": [
            {
                "system": s.system,
                "status": s.status,
                "attempts": s.attempts,
                "done_by": s.done_by,
                "started_at": _iso(s.started_at),
                "finished_at": _iso(s.finished_at),
                "verified_at": _iso(s.verified_at),
                "last_error": s.last_error,
                "plan": s.result.get("plan", []),
                "done": s.result.get("progress", {}),
            }
            for s in steps
        ],
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
