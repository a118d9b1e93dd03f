"""The console's own store: contact, account role, installations, usage, technical data, consent, requests.

Usage actors are stored as keyed hashes of Zendesk user ids (per account), so usage is attributed
through the Zendesk user ids found for the exact email: hashed with the ingest's own function.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from dashboard.privacy.exports.parts import Progress, SourcePart, iso
from dashboard.usage.hashing import actor_hash_key, hash_actor
from models import Account, App, Contact, Installation, PrivacyRequest, UsageAgent, UsageEvent


def subject_contacts(session: Session, email: str) -> list[Contact]:
    return list(
        session.exec(
            select(Contact)
            .where(func.lower(Contact.email) == email.strip().lower(), Contact.anonymized_at.is_(None))
            .order_by(Contact.id)
        ).all()
    )


def actor_hashes(identities: list[dict[str, Any]]) -> list[str]:
    """The usage actor hashes of the subject's Zendesk users (only those in an account the store knows)."""
    key = actor_hash_key()
    return sorted(
        {
            hash_actor(key, account_id=i["account_id"], actor=str(i["user_id"]))
            for i in identities
            if i.get("account_id") is not None
        }
    )


def collect_store(
    session: Session, email: str, identities: list[dict[str, Any]], progress: Progress
) -> SourcePart:
    progress(0.0, "Reading contacts and accounts")
    contacts = subject_contacts(session, email)
    accounts = (
        {
            a.id: a
            for a in session.exec(
                select(Account).where(Account.id.in_({c.account_id for c in contacts}))
            ).all()
        }
        if contacts
        else {}
    )
    part = SourcePart()
    part.categories["contact"] = [_contact_row(c) for c in contacts]
    part.categories["account_roles"] = [_role_row(c, accounts[c.account_id]) for c in contacts]
    part.categories["marketing_consent"] = [
        {
            "contact_id": c.id,
            "marketing_opted_out": c.marketing_opt_out,
            "opted_out_at": iso(c.marketing_opt_out_at),
        }
        for c in contacts
    ]
    part.categories["installations"] = _installations(session, accounts)
    progress(0.3, "Reading usage events")
    hashes = actor_hashes(identities)
    events = _usage_events(session, hashes)
    part.categories["usage_events"] = events
    part.categories["technical_data"] = _technical_data(events)
    part.categories["privacy_requests"] = _requests(session, email)
    if not identities:
        part.notes.append(
            "No Zendesk user was found for the email, so no usage events could be attributed "
            "(usage is recorded against Zendesk user ids, stored only as keyed hashes)."
        )
    progress(1.0, "Store done")
    return part


def _contact_row(contact: Contact) -> dict[str, Any]:
    return {
        "contact_id": contact.id,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "created_at": iso(contact.created_at),
        "updated_at": iso(contact.updated_at),
    }


def _role_row(contact: Contact, account: Account) -> dict[str, Any]:
    return {
        "contact_id": contact.id,
        "company": account.company_name,
        "zendesk_subdomain": account.zendesk_subdomain,
        "job_title": contact.job_title,
        "primary_contact": contact.is_primary,
    }


def _installations(session: Session, accounts: dict[int, Account]) -> list[dict[str, Any]]:
    if not accounts:
        return []
    rows = session.exec(
        select(Installation, App.name)
        .join(App, App.id == Installation.app_id)
        .where(Installation.account_id.in_(list(accounts)))
        .order_by(Installation.account_id, Installation.id)
    ).all()
    return [
        {
            "company": accounts[i.account_id].company_name,
            "app": app_name,
            "state": i.state,
            "plan": i.plan_name,
            "seats": i.seats,
            "installed_at": iso(i.installed_at),
            "uninstalled_at": iso(i.uninstalled_at),
        }
        for i, app_name in rows
    ]


def _usage_events(session: Session, hashes: list[str]) -> list[dict[str, Any]]:
    if not hashes:
        return []
    apps = dict(session.exec(select(App.id, App.name)).all())
    rows = session.exec(
        select(
            UsageEvent.event_id,
            UsageEvent.account_id,
            UsageEvent.app_id,
            UsageEvent.feature,
            UsageEvent.occurred_at,
            UsageEvent.ip_address,
            UsageAgent.browser,
            UsageAgent.os,
            UsageAgent.user_agent,
        )
        .outerjoin(UsageAgent, UsageAgent.id == UsageEvent.agent_id)
        .where(UsageEvent.actor_hash.in_(hashes))
        .order_by(UsageEvent.occurred_at, UsageEvent.id)
    ).all()
    return [
        {
            "event_id": r[0],
            "account_id": r[1],
            "app": apps.get(r[2], str(r[2])),
            "feature": r[3],
            "occurred_at": iso(r[4]),
            "ip_address": r[5],
            "browser": r[6],
            "os": r[7],
            "user_agent": r[8],
        }
        for r in rows
    ]


def _technical_data(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each distinct (IP, browser, OS) seen in the subject's usage, with first and last time and count."""
    seen: dict[tuple[Any, Any, Any], dict[str, Any]] = {}
    for event in events:
        key = (event["ip_address"], event["browser"], event["os"])
        row = seen.setdefault(
            key,
            {
                "ip_address": key[0],
                "browser": key[1],
                "os": key[2],
                "first_seen": event["occurred_at"],
                "last_seen": event["occurred_at"],
                "events": 0,
            },
        )
        row["last_seen"] = event["occurred_at"]
        row["events"] += 1
    return list(seen.values())


def _requests(session: Session, email: str) -> list[dict[str, Any]]:
    same_subject = func.lower(PrivacyRequest.subject_email) == email.lower()
    rows = session.exec(select(PrivacyRequest).where(same_subject).order_by(PrivacyRequest.id)).all()
    return [
        {
            "request_id": r.id,
            "type": r.type,
            "status": r.status,
            "jurisdiction": r.jurisdiction,
            "received_on": r.received_on.isoformat(),
            "completed_at": iso(r.completed_at),
        }
        for r in rows
    ]
