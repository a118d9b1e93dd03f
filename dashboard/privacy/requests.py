"""The request service: intake, state changes, assignment, extension, notes and processor handling.

Every change goes through `save_change`: the caller names the version it read, the row is claimed with
one conditional UPDATE (version = read version), and only then are the fields, a timeline event and one
audit row written, all in the caller's transaction. A mismatch raises ConflictError and writes nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, select

from dashboard.access.identity import Actor
from dashboard.access.users import normalise_email
from dashboard.core import audit
from dashboard.core.errors import ConflictError, ValidationError
from dashboard.privacy import deadlines
from dashboard.privacy import jurisdiction as jurisdictions
from dashboard.privacy.states import OPEN_STATUSES, STATUS_LABELS, check_transition, is_open
from models import Account, Contact, PrivacyRequest, PrivacyRequestEvent, User
from models.privacy import REQUEST_TYPES
from models.types import utcnow

TYPE_LABELS = {
    "access": "Access",
    "portability": "Portability",
    "correction": "Correction",
    "deletion": "Deletion",
    "opt_out": "Marketing opt-out",
}
SUBJECT_KINDS = {
    "customer_contact": "A customer's employee or contact (we are the controller)",
    "end_user": "An end user inside a client's Zendesk (we are the client's processor)",
}
CHANNELS = ("email", "web_form", "phone", "letter", "zendesk_ticket", "other")
ASSIGNABLE_ROLES = ("privacy_officer", "admin")
MAX_NAME = 200
MAX_NOTES = 5000
MAX_REASON = 2000
MAX_INSTRUCTION = 4000


# --- reading ------------------------------------------------------------------------------------------


def get_request(session: Session, request_id: int) -> PrivacyRequest:
    request = session.get(PrivacyRequest, request_id)
    if request is None:
        raise ValidationError(f"There is no privacy request #{request_id}.", field="request")
    return request


def timeline(session: Session, request_id: int) -> list[PrivacyRequestEvent]:
    """The request's events, newest first."""
    return list(
        session.exec(
            select(PrivacyRequestEvent)
            .where(PrivacyRequestEvent.request_id == request_id)
            .order_by(PrivacyRequestEvent.at.desc(), PrivacyRequestEvent.id.desc())
        ).all()
    )


def likely_duplicates(
    session: Session, *, type: str, email: str, exclude_id: int | None = None
) -> list[PrivacyRequest]:
    """Open requests of the same type for the same email (case-insensitive), oldest first."""
    query = select(PrivacyRequest).where(
        PrivacyRequest.type == type,
        func.lower(PrivacyRequest.subject_email) == email.strip().lower(),
        PrivacyRequest.status.in_(OPEN_STATUSES),
    )
    if exclude_id is not None:
        query = query.where(PrivacyRequest.id != exclude_id)
    return list(session.exec(query.order_by(PrivacyRequest.id)).all())


def assignable_users(session: Session) -> list[User]:
    return list(
        session.exec(
            select(User)
            .where(User.role.in_(ASSIGNABLE_ROLES), User.active == True)  # noqa: E712
            .order_by(User.name, User.email)
        ).all()
    )


def client_account_choices(session: Session) -> dict[int, str]:
    """Client accounts as {id: "Company (subdomain)"}, for linking a processor request to its client."""
    rows = session.exec(
        select(Account.id, Account.company_name, Account.zendesk_subdomain).order_by(
            Account.company_name, Account.id
        )
    ).all()
    return {account_id: f"{name} ({subdomain})" for account_id, name, subdomain in rows}


# --- the one way to change a request ---------------------------------------------------------------------


def load_for_change(session: Session, request_id: int, expected_version: int) -> PrivacyRequest:
    """The request, if it is still at the version the caller read; ConflictError otherwise."""
    request = get_request(session, request_id)
    if request.version != expected_version:
        raise _conflict(session, request_id)
    return request


def _conflict(session: Session, request_id: int) -> ConflictError:
    last = session.exec(
        select(PrivacyRequestEvent)
        .where(PrivacyRequestEvent.request_id == request_id)
        .order_by(PrivacyRequestEvent.id.desc())
        .limit(1)
    ).first()
    who = f" by {last.actor} ({last.kind.replace('_', ' ')})" if last else ""
    return ConflictError(
        f"Request #{request_id} was changed{who} since you opened it. Nothing was saved: "
        "review the latest version, then save your input again."
    )


def add_event(
    session: Session,
    request: PrivacyRequest,
    actor: Actor,
    kind: str,
    *,
    text: str = "",
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> PrivacyRequestEvent:
    event = PrivacyRequestEvent(
        request_id=request.id,
        at=at or utcnow(),
        actor=actor.email,
        kind=kind,
        text=text,
        details=details or {},
    )
    session.add(event)
    return event


def save_change(
    session: Session,
    actor: Actor,
    request: PrivacyRequest,
    expected_version: int,
    *,
    action: str,
    kind: str,
    changes: dict[str, Any],
    text: str = "",
    details: dict[str, Any] | None = None,
) -> PrivacyRequest:
    """Claim the row at `expected_version`, apply `changes`, add a timeline event and one audit row."""
    now = utcnow()
    claimed = session.execute(
        update(PrivacyRequest)
        .where(PrivacyRequest.id == request.id, PrivacyRequest.version == expected_version)
        .values(version=expected_version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise _conflict(session, request.id)
    for name, value in changes.items():
        setattr(request, name, value)
    request.version = expected_version + 1
    request.updated_at = now
    session.add(request)
    add_event(session, request, actor, kind, text=text, details=details, at=now)
    audit.record(
        session,
        actor,
        action,
        target_type="privacy_request",
        target_id=request.id,
        account_id=request.account_id,
        details={"version": request.version, **(details or {})},
        at=now,
    )
    session.flush()
    return request


# --- intake ---------------------------------------------------------------------------------------------


def _clean_text(value: str, *, field: str, label: str, limit: int, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(f"Enter the {label}.", field=field)
    if len(value) > limit:
        raise ValidationError(
            f"The {label} is {len(value):,} characters long; the limit is {limit:,}.", field=field
        )
    return value


def _choice(value: str, options: Any, *, field: str, label: str) -> str:
    if value not in options:
        raise ValidationError(f"Choose a {label} from the list.", field=field)
    return value


def _subject_email(email: str) -> str:
    try:
        return normalise_email(email)
    except ValidationError as error:
        raise ValidationError(error.message, field="subject_email") from None


def _received_on(received_on: date | None, today: date) -> date:
    if received_on is None:
        raise ValidationError("Enter the date the request was received.", field="received_on")
    if received_on > today:
        raise ValidationError("The date received cannot be in the future.", field="received_on")
    return received_on


def create_request(
    session: Session,
    actor: Actor,
    *,
    type: str,
    subject_name: str,
    subject_email: str,
    jurisdiction: str | None,
    received_on: date | None,
    subject_kind: str = "customer_contact",
    account_id: int | None = None,
    channel: str = "email",
    notes: str = "",
    subject_country: str = "",
    subject_region: str = "",
    jurisdiction_reason: str = "",
    today: date | None = None,
) -> PrivacyRequest:
    """Log a new request with its legal deadlines. Bad input raises ValidationError and writes nothing.

    `jurisdiction=None` takes the suggestion (`jurisdiction.suggest`); a different choice, where the
    suggestion rests on something known about the subject, needs `jurisdiction_reason` (audited).
    """
    today = today or utcnow().date()
    _choice(type, REQUEST_TYPES, field="type", label="request type")
    name = _clean_text(
        subject_name, field="subject_name", label="subject's name", limit=MAX_NAME, required=True
    )
    email = _subject_email(subject_email)
    _choice(subject_kind, SUBJECT_KINDS, field="subject_kind", label="kind of subject")
    country, region = jurisdictions.clean_location(subject_country, subject_region)
    received = _received_on(received_on, today)
    _choice(channel, CHANNELS, field="channel", label="channel")
    notes = _clean_text(notes, field="notes", label="notes", limit=MAX_NOTES, required=False)
    is_processor = subject_kind == "end_user"
    contact = None if is_processor else _contact_by_email(session, email)
    if is_processor and account_id is None:
        raise ValidationError("Choose the client whose Zendesk the end user belongs to.", field="account_id")
    if account_id is not None and session.get(Account, account_id) is None:
        raise ValidationError("Choose a client account from the list.", field="account_id")
    suggestion = jurisdictions.suggest(
        session,
        subject_country=country,
        subject_region=region,
        subject_email=email,
        account_id=account_id,
        is_processor=is_processor,
    )
    jurisdiction = suggestion.jurisdiction if jurisdiction is None else jurisdiction
    _choice(jurisdiction, deadlines.RULES, field="jurisdiction", label="jurisdiction")
    override_reason = _override_reason(suggestion, jurisdiction, jurisdiction_reason)
    found = deadlines.initial_deadlines(jurisdiction, received_on=received)
    duplicates = likely_duplicates(session, type=type, email=email)
    request = PrivacyRequest(
        type=type,
        subject_name=name,
        subject_email=email,
        subject_kind=subject_kind,
        is_processor=is_processor,
        account_id=account_id if is_processor or contact is None else contact.account_id,
        contact_id=contact.id if contact else None,
        jurisdiction=jurisdiction,
        subject_country=country,
        subject_region=region,
        suggested_jurisdiction=suggestion.jurisdiction,
        jurisdiction_reason=override_reason,
        channel=channel,
        notes=notes,
        received_on=received,
        clock_started_on=received,
        due_on=found.due_on,
        acknowledge_by=found.acknowledge_by,
        created_by=actor.email,
    )
    session.add(request)
    session.flush()
    details = {
        "type": type,
        "jurisdiction": jurisdiction,
        "suggested_jurisdiction": suggestion.jurisdiction,
        "suggestion_basis": str(suggestion.basis),
        **({"jurisdiction_override_reason": override_reason} if override_reason else {}),
        "due_on": found.due_on.isoformat(),
        "processor": is_processor,
        "likely_duplicate_of": [d.id for d in duplicates],
    }
    add_event(session, request, actor, "created", text=notes, details=details)
    audit.record(
        session,
        actor,
        "privacy_request_created",
        target_type="privacy_request",
        target_id=request.id,
        account_id=request.account_id,
        details=details,
    )
    return request


def _override_reason(suggestion: jurisdictions.Suggestion, chosen: str, reason: str) -> str | None:
    """The officer's reason for choosing another law than the suggestion (required where it had a basis)."""
    reason = _clean_text(
        reason, field="jurisdiction_reason", label="reason", limit=MAX_REASON, required=False
    )
    if suggestion.has_basis and chosen != suggestion.jurisdiction and not reason:
        raise ValidationError(
            f"Suggested: {suggestion.explanation} Give a reason for choosing "
            f"{deadlines.rule_for(chosen).label} instead.",
            field="jurisdiction_reason",
        )
    if chosen == suggestion.jurisdiction:
        return None
    return reason or None


def _contact_by_email(session: Session, email: str) -> Contact | None:
    return session.exec(
        select(Contact).where(func.lower(Contact.email) == email).order_by(Contact.id).limit(1)
    ).first()


# --- changes --------------------------------------------------------------------------------------------


def require_open(request: PrivacyRequest, what: str) -> None:
    if not is_open(request.status):
        raise ValidationError(
            f"Request #{request.id} is {STATUS_LABELS[request.status].lower()}; it can no longer be {what}.",
            field="status",
        )


def assign(
    session: Session, actor: Actor, *, request_id: int, expected_version: int, assignee_id: int | None
) -> PrivacyRequest:
    """Give the request to a privacy officer or admin (None: unassign)."""
    request = load_for_change(session, request_id, expected_version)
    require_open(request, "reassigned")
    assignee = None
    if assignee_id is not None:
        assignee = session.get(User, assignee_id)
        if assignee is None or not assignee.active or assignee.role not in ASSIGNABLE_ROLES:
            raise ValidationError("Choose an active privacy officer or admin.", field="assignee")
    who = assignee.email if assignee else "nobody"
    return save_change(
        session,
        actor,
        request,
        expected_version,
        action="privacy_request_assigned",
        kind="assigned",
        changes={"assignee_id": assignee_id},
        text=f"Assigned to {who}.",
        details={"from": request.assignee_id, "to": assignee_id},
    )


def change_status(
    session: Session,
    actor: Actor,
    *,
    request_id: int,
    expected_version: int,
    status: str,
    reason: str = "",
    appeal_info: str = "",
) -> PrivacyRequest:
    """Move the request along the state machine; a denial needs a reason (and appeal info where due)."""
    request = load_for_change(session, request_id, expected_version)
    check_transition(request.status, status, is_processor=request.is_processor)
    reason = _clean_text(
        reason, field="reason", label="reason", limit=MAX_REASON, required=status == "denied"
    )
    changes: dict[str, Any] = {"status": status}
    if status == "awaiting_client":
        raise ValidationError(
            "Use “Forward to client”, which records when the client was told.", field="status"
        )
    if request.status == "verifying_identity" and status == "in_progress":
        raise ValidationError(
            "Record the day the identity proof arrived (“Identity confirmed”): it may start the legal clock.",
            field="status",
        )
    if request.is_processor and status in ("in_progress", "completed") and not request.client_instruction:
        raise ValidationError(
            "Record the client's instruction first: as their processor we act only on it.", field="status"
        )
    if status == "denied":
        appeal_info = _clean_text(
            appeal_info,
            field="appeal_info",
            label="appeal information",
            limit=MAX_INSTRUCTION,
            required=deadlines.rule_for(request.jurisdiction).denial_needs_appeal_info,
        )
        changes.update(denial_reason=reason, appeal_info=appeal_info or None)
    if status in ("completed", "denied"):
        changes["completed_at"] = utcnow()
    step = f"{STATUS_LABELS[request.status]} → {STATUS_LABELS[status]}"
    return save_change(
        session,
        actor,
        request,
        expected_version,
        action="privacy_request_status_changed",
        kind="status_changed",
        changes=changes,
        text=f"{step}: {reason}" if reason else step,
        details={"from": request.status, "to": status},
    )


def confirm_identity(
    session: Session,
    actor: Actor,
    *,
    request_id: int,
    expected_version: int,
    received_on: date,
    today: date | None = None,
) -> PrivacyRequest:
    """Identity proof or clarification arrived: work starts, and under UK GDPR the clock starts now."""
    today = today or utcnow().date()
    request = load_for_change(session, request_id, expected_version)
    check_transition(request.status, "in_progress", is_processor=request.is_processor)
    if request.status != "verifying_identity":
        raise ValidationError("The request is not waiting for identity proof.", field="status")
    if received_on > today or received_on < request.received_on:
        raise ValidationError(
            "The proof must have arrived between the request and today.", field="identity_received_on"
        )
    changes: dict[str, Any] = {"status": "in_progress", "clock_started_on": received_on}
    if not request.extended:
        changes["due_on"] = deadlines.initial_deadlines(
            request.jurisdiction, received_on=request.received_on, clock_started_on=received_on
        ).due_on
    return save_change(
        session,
        actor,
        request,
        expected_version,
        action="privacy_request_identity_confirmed",
        kind="identity_confirmed",
        changes=changes,
        details={
            "identity_received_on": received_on.isoformat(),
            "due_on": changes.get("due_on", request.due_on).isoformat(),
        },
    )


def extend(
    session: Session,
    actor: Actor,
    *,
    request_id: int,
    expected_version: int,
    reason: str,
    notified_on: date | None,
    today: date | None = None,
) -> PrivacyRequest:
    """The one extension the law allows, with its reason and the day the subject was told."""
    today = today or utcnow().date()
    request = load_for_change(session, request_id, expected_version)
    require_open(request, "extended")
    rule = deadlines.rule_for(request.jurisdiction)
    if request.is_processor:
        raise ValidationError(
            "The client decides on extensions for its end users; record its instruction instead.",
            field="extension",
        )
    if not rule.extendable:
        raise ValidationError(f"{rule.label} allows no extension.", field="extension")
    if request.extended:
        raise ValidationError(
            "This request was already extended once; the law allows one extension.", field="extension"
        )
    reason = _clean_text(
        reason, field="extension_reason", label="reason for the extension", limit=MAX_REASON, required=True
    )
    if notified_on is None or notified_on > today:
        raise ValidationError(
            "Enter the day the subject was told (today or earlier).", field="extension_notified_on"
        )
    if request.due_on is not None and notified_on > request.due_on:
        raise ValidationError(
            f"The subject must be told before the first deadline "
            f"({request.due_on:%d %b %Y}); it is too late to extend.",
            field="extension_notified_on",
        )
    new_due = deadlines.extended_deadline(
        request.jurisdiction, received_on=request.received_on, clock_started_on=request.clock_started_on
    )
    return save_change(
        session,
        actor,
        request,
        expected_version,
        action="privacy_request_extended",
        kind="extended",
        text=reason,
        changes={
            "extended": True,
            "extension_reason": reason,
            "extension_notified_on": notified_on,
            "due_on": new_due,
        },
        details={
            "from": request.due_on.isoformat() if request.due_on else None,
            "to": new_due.isoformat(),
            "notified_on": notified_on.isoformat(),
        },
    )


def change_jurisdiction(
    session: Session,
    actor: Actor,
    *,
    request_id: int,
    expected_version: int,
    jurisdiction: str,
    reason: str,
) -> PrivacyRequest:
    """Put the request under another law, with a reason; its deadlines are counted again under it."""
    request = load_for_change(session, request_id, expected_version)
    require_open(request, "moved to another jurisdiction")
    _choice(jurisdiction, deadlines.RULES, field="jurisdiction", label="jurisdiction")
    if jurisdiction == request.jurisdiction:
        raise ValidationError("The request is already under that jurisdiction.", field="jurisdiction")
    reason = _clean_text(
        reason, field="jurisdiction_reason", label="reason for the change", limit=MAX_REASON, required=True
    )
    rule = deadlines.rule_for(jurisdiction)
    found = deadlines.initial_deadlines(
        jurisdiction, received_on=request.received_on, clock_started_on=request.clock_started_on
    )
    changes: dict[str, Any] = {
        "jurisdiction": jurisdiction,
        "jurisdiction_reason": reason,
        "acknowledge_by": found.acknowledge_by,
        "due_on": found.due_on,
    }
    if request.extended and rule.extendable and not request.is_processor:
        changes["due_on"] = deadlines.extended_deadline(
            jurisdiction, received_on=request.received_on, clock_started_on=request.clock_started_on
        )
    elif request.extended:
        changes.update(extended=False)  # the new law allows no extension: its first deadline applies
    old, new = deadlines.rule_for(request.jurisdiction).label, rule.label
    return save_change(
        session,
        actor,
        request,
        expected_version,
        action="privacy_request_jurisdiction_changed",
        kind="jurisdiction_changed",
        changes=changes,
        text=f"{old} → {new}: {reason}",
        details={
            "from": request.jurisdiction,
            "to": jurisdiction,
            "suggested": request.suggested_jurisdiction,
            "reason": reason,
            "due_on": changes["due_on"].isoformat(),
        },
    )


def acknowledge(
    session: Session,
    actor: Actor,
    *,
    request_id: int,
    expected_version: int,
    acknowledged_on: date,
    today: date | None = None,
) -> PrivacyRequest:
    """Record the day receipt was confirmed to the subject (CCPA: within 10 business days)."""
    today = today or utcnow().date()
    request = load_for_change(session, request_id, expected_version)
    if acknowledged_on > today or acknowledged_on < request.received_on:
        raise ValidationError(
            "The acknowledgement date must be between receipt and today.", field="acknowledged_on"
        )
    return save_change(
        session,
        actor,
        request,
        expected_version,
        action="privacy_request_acknowledged",
        kind="acknowledged",
        changes={"acknowledged_on": acknowledged_on},
        details={"acknowledged_on": acknowledged_on.isoformat()},
    )


def add_note(
    session: Session, actor: Actor, *, request_id: int, expected_version: int, text: str
) -> PrivacyRequest:
    request = load_for_change(session, request_id, expected_version)
    text = _clean_text(text, field="note", label="note", limit=MAX_NOTES, required=True)
    return save_change(
        session,
        actor,
        request,
        expected_version,
        action="privacy_request_note_added",
        kind="note",
        changes={},
        text=text,
    )


# --- processor requests (end users inside a client's Zendesk) --------------------------------------------


def _require_processor(request: PrivacyRequest) -> None:
    if not request.is_processor:
        raise ValidationError(
            "Only requests from end users in a client's Zendesk go to the client.", field="status"
        )


def forward_to_client(
    session: Session, actor: Actor, *, request_id: int, expected_version: int, note: str = ""
) -> PrivacyRequest:
    """Record that the request was forwarded to the client, who owns the clock and the decision."""
    request = load_for_change(session, request_id, expected_version)
    _require_processor(request)
    check_transition(request.status, "awaiting_client", is_processor=True)
    note = _clean_text(note, field="forward_note", label="note", limit=MAX_NOTES, required=False)
    return save_change(
        session,
        actor,
        request,
        expected_version,
        action="privacy_request_forwarded",
        kind="forwarded_to_client",
        text=note,
        changes={"status": "awaiting_client", "client_forwarded_at": utcnow()},
        details={"from": request.status, "to": "awaiting_client"},
    )


def record_client_instruction(
    session: Session, actor: Actor, *, request_id: int, expected_version: int, instruction: str
) -> PrivacyRequest:
    """The client's instruction, recorded before anything is done; work may then start."""
    request = load_for_change(session, request_id, expected_version)
    _require_processor(request)
    if request.status != "awaiting_client" or request.client_forwarded_at is None:
        raise ValidationError("Forward the request to the client first.", field="client_instruction")
    instruction = _clean_text(
        instruction,
        field="client_instruction",
        label="client's instruction",
        limit=MAX_INSTRUCTION,
        required=True,
    )
    return save_change(
        session,
        actor,
        request,
        expected_version,
        action="privacy_request_client_instruction",
        kind="client_instruction",
        text=instruction,
        changes={
            "client_instruction": instruction,
            "client_instruction_at": utcnow(),
            "status": "in_progress",
        },
        details={"from": request.status, "to": "in_progress"},
    )


# --- duplicates -----------------------------------------------------------------------------------------


def merge_duplicate(
    session: Session, actor: Actor, *, request_id: int, expected_version: int, into_id: int
) -> PrivacyRequest:
    """Close a duplicate as withdrawn, pointing at the request it was merged into (which gets a note)."""
    request = load_for_change(session, request_id, expected_version)
    require_open(request, "merged")
    target = get_request(session, into_id)
    if (
        target.id == request.id
        or target.type != request.type
        or target.subject_email.lower() != request.subject_email.lower()
        or not is_open(target.status)
    ):
        raise ValidationError(
            "Merge only into another open request of the same type for the same email.", field="merge_into"
        )
    check_transition(request.status, "withdrawn", is_processor=request.is_processor)
    add_event(
        session,
        target,
        actor,
        "duplicate_merged",
        text=f"Request #{request.id} merged into this one.",
        details={"merged_id": request.id},
    )
    return save_change(
        session,
        actor,
        request,
        expected_version,
        action="privacy_request_merged",
        kind="merged",
        changes={"status": "withdrawn", "merged_into_id": target.id},
        text=f"Merged into request #{target.id} as a duplicate.",
        details={"from": request.status, "to": "withdrawn", "merged_into": target.id},
    )
