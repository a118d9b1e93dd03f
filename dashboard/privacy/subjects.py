"""What a request does to the subject's record: corrections (before/after kept) and marketing opt-outs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, or_, select

from dashboard.access.identity import Actor
from dashboard.access.users import normalise_email
from dashboard.core.errors import ValidationError
from dashboard.privacy.requests import load_for_change, require_open, save_change
from models import Contact, PrivacyRequest
from models.types import utcnow

# field: (label, longest allowed, required)
CORRECTABLE_FIELDS: dict[str, tuple[str, int, bool]] = {
    "name": ("name", 200, True),
    "email": ("email", 320, True),
    "phone": ("phone", 64, False),
    "job_title": ("job title", 200, False),
}


def subject_contacts(session: Session, request: PrivacyRequest) -> list[Contact]:
    """The store's contacts for the request's subject: the linked one and any with the same email."""
    matches = [func.lower(Contact.email) == request.subject_email.lower()]
    if request.contact_id is not None:
        matches.append(Contact.id == request.contact_id)
    return list(
        session.exec(
            select(Contact).where(or_(*matches), Contact.anonymized_at.is_(None)).order_by(Contact.id)
        ).all()
    )


def _clean_field(field: str, value: str) -> str:
    label, limit, required = CORRECTABLE_FIELDS[field]
    value = (value or "").strip()
    if field == "email":
        try:
            return normalise_email(value)
        except ValidationError as error:
            raise ValidationError(error.message, field=f"contact_{field}") from None
    if required and not value:
        raise ValidationError(f"The {label} cannot be empty.", field=f"contact_{field}")
    if len(value) > limit:
        raise ValidationError(f"The {label} is longer than {limit} characters.", field=f"contact_{field}")
    return value


def correct_contact(
    session: Session,
    actor: Actor,
    *,
    request_id: int,
    expected_version: int,
    contact_id: int,
    values: Mapping[str, str],
) -> dict[str, dict[str, str]]:
    """Change the subject's contact fields; returns {field: {before, after}} as put on the timeline."""
    request = load_for_change(session, request_id, expected_version)
    require_open(request, "used for a correction")
    contact = next((c for c in subject_contacts(session, request) if c.id == contact_id), None)
    if contact is None:
        raise ValidationError("Choose one of the subject's contacts.", field="contact")
    unknown = set(values) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise ValidationError(
            f"These fields cannot be corrected here: {', '.join(sorted(unknown))}.", field="contact"
        )
    cleaned = {field: _clean_field(field, value) for field, value in values.items()}
    changes = {
        field: {"before": getattr(contact, field), "after": after}
        for field, after in cleaned.items()
        if getattr(contact, field) != after
    }
    if not changes:
        raise ValidationError("Nothing differs from the stored contact; nothing to correct.", field="contact")
    for field, change in changes.items():
        setattr(contact, field, change["after"])
    contact.updated_at = utcnow()
    session.add(contact)
    summary = ", ".join(f"{f}: “{c['before']}” → “{c['after']}”" for f, c in changes.items())
    save_change(
        session,
        actor,
        request,
        expected_version,
        action="privacy_contact_corrected",
        kind="corrected",
        changes={},
        text=f"Contact #{contact.id} corrected: {summary}.",
        details={"contact_id": contact.id, "changes": changes},
    )
    return changes


def apply_opt_out(
    session: Session,
    actor: Actor,
    *,
    request_id: int,
    expected_version: int,
    effective_at: datetime | None = None,
) -> list[int]:
    """Set the marketing opt-out on every contact of the subject; returns the contact ids changed.

    A contact already opted out keeps its earlier effective date.
    """
    effective_at = effective_at or utcnow()
    if effective_at > utcnow():
        raise ValidationError("An opt-out takes effect now or earlier, never later.", field="opt_out_at")
    request = load_for_change(session, request_id, expected_version)
    require_open(request, "used for an opt-out")
    contacts = [c for c in subject_contacts(session, request) if not c.marketing_opt_out]
    if not contacts:
        raise ValidationError(
            "No contact of this subject is left to opt out (none found, or all are opted out already).",
            field="opt_out",
        )
    for contact in contacts:
        contact.marketing_opt_out = True
        contact.marketing_opt_out_at = effective_at
        contact.updated_at = utcnow()
        session.add(contact)
    ids = [c.id for c in contacts]
    save_change(
        session,
        actor,
        request,
        expected_version,
        action="privacy_marketing_opt_out",
        kind="opted_out",
        changes={},
        text=f"Marketing opt-out set on contact(s) {', '.join(f'#{i}' for i in ids)}, "
        f"effective {effective_at:%Y-%m-%d %H:%M} UTC.",
        details={"contact_ids": ids, "effective_at": effective_at.isoformat()},
    )
    return ids


def suppression_list(session: Session) -> list[dict[str, Any]]:
    """One row per opted-out email address with its earliest effective date: what marketing must skip."""
    rows = session.exec(
        select(func.lower(Contact.email), func.min(Contact.marketing_opt_out_at), func.count())
        .where(Contact.marketing_opt_out == True)  # noqa: E712
        .group_by(func.lower(Contact.email))
        .order_by(func.lower(Contact.email))
    ).all()
    return [{"email": email, "opted_out_at": at, "contacts": count} for email, at, count in rows]
