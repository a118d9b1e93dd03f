"""The privacy screens as data: the request queue (its figures and rows, machine values, `QUEUE_COLUMNS`)
and one request's detail (its facts, the steps its state allows with the reason for any it does not, and
its timeline)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

import pandas as pd
from sqlmodel import Session

from dashboard.presentation.columns import Column, Columns, Kind
from dashboard.privacy import calendar_feed, deadlines, queue, reports, requests, subjects
from dashboard.privacy.deadlines import JURISDICTION_LABELS
from dashboard.privacy.jurisdiction import jurisdiction_note
from dashboard.privacy.requests import TYPE_LABELS
from dashboard.privacy.states import OPEN_STATUSES, STATUS_LABELS, allowed_next, is_open
from models import Account, Contact, PrivacyRequest, PrivacyRequestEvent, User

ROW_NAMES = [
    "id",
    "due_on",
    "deadline",
    "days_left",
    "type",
    "status",
    "subject_name",
    "subject_email",
    "jurisdiction",
    "assignee",
    "received_on",
    "processor",
    "extended",
    "likely_duplicate",
    "urgency",
    "version",
]

QUEUE_COLUMNS: Columns = {
    "id": Column("#", Kind.COUNT),
    "due_on": Column("Due", Kind.DATE),
    "deadline": Column("Days left"),
    "type": Column("Type", Kind.ENUM, labels=TYPE_LABELS),
    "status": Column("Status", Kind.ENUM, labels=STATUS_LABELS),
    "subject_name": Column("Subject"),
    "subject_email": Column("Email"),
    "jurisdiction": Column("Law", Kind.ENUM, labels=JURISDICTION_LABELS),
    "assignee": Column("Assignee"),
    "received_on": Column("Received", Kind.DATE),
    "processor": Column("Processor", Kind.BOOL),
    "extended": Column("Extended", Kind.BOOL),
    "likely_duplicate": Column("Likely duplicate", Kind.BOOL),
}


@dataclass(frozen=True)
class QueueScreen:
    today: date
    shown: int
    overdue: int  # open requests past their due date
    due_today: int
    under_five_days: int  # open requests with fewer than five days left (not yet overdue)
    rows: pd.DataFrame  # ROW_NAMES, open by due date first; `urgency` colours the deadline cells


def queue_screen(session: Session, filters: queue.QueueFilters, *, today: date) -> QueueScreen:
    rows = pd.DataFrame(queue.queue_rows(session, today=today, filters=filters), columns=ROW_NAMES)
    open_rows = rows[rows["status"].isin(OPEN_STATUSES)]
    return QueueScreen(
        today=today,
        shown=len(rows),
        overdue=int((open_rows["urgency"] == "overdue").sum()),
        due_today=int((open_rows["days_left"] == 0).sum()),
        under_five_days=int((open_rows["urgency"] == "red").sum()),
        rows=rows,
    )


UNASSIGNED = "unassigned"  # the Assignee filter's choice for requests nobody has


@dataclass(frozen=True)
class QueueInputs:
    """What the queue page was asked for: the filters (the assignee as the URL keeps it: an officer's id
    as text, `UNASSIGNED` or None for anyone), "Mine", and whether the calendar holds only the viewer's."""

    filters: queue.QueueFilters = field(default_factory=queue.QueueFilters)
    assignee: str | None = None
    mine: bool = False
    calendar_mine: bool = False


@dataclass(frozen=True)
class QueuePage:
    queue: QueueScreen
    officers: dict[int, str]  # who a request may be assigned to: id -> name (or email)
    assignees: dict[str, str]  # the Assignee filter's choices: UNASSIGNED and each officer's id as text
    calendar: bytes  # the deadlines as an ICS file (every open request, or only the viewer's)


def queue_page(
    session: Session, inputs: QueueInputs, *, viewer_id: int | None, today: date, now: datetime
) -> QueuePage:
    """The privacy queue page: the queue for the inputs, the officers to filter by or assign to, and the
    calendar file. An assignee that is not an officer (a hand-edited address) filters nothing."""
    officers = {u.id: u.name or u.email for u in requests.assignable_users(session) if u.id is not None}
    assignees = {UNASSIGNED: "Unassigned", **{str(user_id): name for user_id, name in officers.items()}}
    chosen = next((user_id for user_id in officers if str(user_id) == inputs.assignee), None)
    filters = replace(
        inputs.filters,
        assignee_id=chosen,
        unassigned=inputs.assignee == UNASSIGNED,
        mine_user_id=viewer_id if inputs.mine else None,
    )
    return QueuePage(
        queue=queue_screen(session, filters, today=today),
        officers=officers,
        assignees=assignees,
        calendar=calendar_feed.deadlines_ics(
            session, now=now, assignee_id=viewer_id if inputs.calendar_mine else None
        ),
    )


# --- one request ------------------------------------------------------------------------------------

EXPORT_REQUEST_TYPES = ("access", "portability", "deletion")  # the types "Exports and deletions" serves
TIMELINE_NAMES = ["at", "who", "what", "text"]


class ProcessorStep(StrEnum):
    """What a processor request waits for from us: forwarding it, then recording the client's instruction."""

    FORWARD = "forward"
    INSTRUCTION = "instruction"


@dataclass(frozen=True)
class SubjectContact:
    """A store contact of the subject: what the correction form starts from and its marketing state."""

    id: int
    email: str
    values: dict[str, str]  # subjects.CORRECTABLE_FIELDS as stored
    marketing: str  # "opted out since …" or "receives marketing"


@dataclass(frozen=True)
class RequestDetail:
    request: PrivacyRequest
    today: date  # the viewer's
    title: str
    has_exports: bool  # the request has an "Exports and deletions" page
    status: str
    due: str
    due_state: str  # days left, "due today", "overdue by …", "closed"
    due_alarming: bool  # fewer than ten days left or overdue
    jurisdiction: str
    assignee: str
    subject: str  # "Name <email>"
    facts: dict[str, str]  # label -> value, in the order shown
    processor: bool  # the client owns the decision: forward, then act on its instruction
    notes: str  # from intake ("" for none)
    duplicates: list[int]  # open requests of the same type for the same email: merge candidates
    duplicate_warning: str | None
    open: bool  # the actions below are offered only while the request is open
    status_targets: list[str]  # the statuses the status form offers (the identity step has its own form)
    confirms_identity: bool  # verifying identity: "Identity confirmed: start work" is the way on
    appeal_required: bool  # the law requires appeal information to deny
    acknowledge_by: date | None  # an acknowledgement still owed by then
    officers: dict[int, str]  # who it may be assigned to: id -> "Name (role)"
    extension_blocked: str | None  # why no extension is possible
    extended_due: date | None  # the deadline after the one allowed extension
    jurisdiction_note: str
    jurisdiction_choices: list[str]  # the other jurisdictions it may move to
    processor_step: ProcessorStep | None  # None when we are the controller
    contacts: list[SubjectContact]
    timeline: pd.DataFrame  # TIMELINE_NAMES, newest first; `at` in UTC


def request_detail_screen(session: Session, request_id: int, *, today: date, zone: str) -> RequestDetail:
    """One privacy request as its detail view shows it (times in `zone`, urgency on `today`).
    ValidationError when there is no such request."""
    request = requests.get_request(session, request_id)
    client = session.get(Account, request.account_id) if request.account_id else None
    assignee = session.get(User, request.assignee_id) if request.assignee_id else None
    open_now = is_open(request.status)
    duplicates = (
        requests.likely_duplicates(
            session, type=request.type, email=request.subject_email, exclude_id=request.id
        )
        if open_now
        else []
    )
    state = queue.urgency(request.due_on, today=today, status=request.status)
    rule = deadlines.rule_for(request.jurisdiction)
    extension_blocked = _extension_blocked(request, rule)
    return RequestDetail(
        request=request,
        today=today,
        title=f"Request #{request.id} · {_label(TYPE_LABELS, request.type)}",
        has_exports=request.type in EXPORT_REQUEST_TYPES,
        status=_label(STATUS_LABELS, request.status),
        due=_day(request.due_on),
        due_state=state.label,
        due_alarming=state.level not in ("green", "closed"),
        jurisdiction=_label(JURISDICTION_LABELS, request.jurisdiction),
        assignee=(assignee.name or assignee.email) if assignee else "nobody",
        subject=f"{request.subject_name} <{request.subject_email}>",
        facts=_facts(request, client, zone),
        processor=request.is_processor,
        notes=request.notes,
        duplicates=[d.id for d in duplicates],
        duplicate_warning=_duplicate_warning(request, duplicates),
        open=open_now,
        status_targets=_status_targets(request),
        confirms_identity=request.status == "verifying_identity",
        appeal_required=rule.denial_needs_appeal_info,
        acknowledge_by=request.acknowledge_by if not request.acknowledged_on else None,
        officers={
            u.id: f"{u.name or u.email} ({u.role.replace('_', ' ')})"
            for u in requests.assignable_users(session)
        },
        extension_blocked=extension_blocked,
        extended_due=None
        if extension_blocked
        else deadlines.extended_deadline(
            request.jurisdiction, received_on=request.received_on, clock_started_on=request.clock_started_on
        ),
        jurisdiction_note=jurisdiction_note(request),
        jurisdiction_choices=[key for key in JURISDICTION_LABELS if key != request.jurisdiction],
        processor_step=_processor_step(request),
        contacts=[_subject_contact(c, zone) for c in subjects.subject_contacts(session, request)],
        timeline=_timeline(requests.timeline(session, request_id)),
    )


def _label(labels: dict[str, str], value: str) -> str:
    return labels.get(value, value)


def _day(value: date | None) -> str:
    return f"{value:%d %b %Y}" if value else "—"


def _when(value: datetime | None, zone: str) -> str:
    return f"{value.astimezone(ZoneInfo(zone)):%d %b %Y %H:%M %Z}" if value else "—"


def _facts(request: PrivacyRequest, client: Account | None, zone: str) -> dict[str, str]:
    facts = {
        "Law": jurisdiction_note(request),
        "Received": f"{_day(request.received_on)} via {request.channel.replace('_', ' ')}",
        "Clock started": _day(request.clock_started_on),
        "Acknowledge by": _day(request.acknowledge_by),
        "Acknowledged": _day(request.acknowledged_on),
        "Extended": (
            f"yes, subject told {_day(request.extension_notified_on)}: {request.extension_reason}"
            if request.extended
            else "no"
        ),
    }
    if request.denial_reason:
        facts["Denial reason"] = request.denial_reason
        facts["How to appeal"] = request.appeal_info or "—"
    if request.merged_into_id:
        facts["Merged into"] = f"request #{request.merged_into_id}"
    if request.is_processor:
        facts["Processor request for"] = client.company_name if client else "—"
        facts["Forwarded to client"] = _when(request.client_forwarded_at, zone)
        facts["Client's instruction"] = (
            f"{request.client_instruction} ({_when(request.client_instruction_at, zone)})"
            if request.client_instruction
            else "not yet received"
        )
    elif client:
        facts["Customer"] = client.company_name
    return facts


def _duplicate_warning(request: PrivacyRequest, duplicates: list[PrivacyRequest]) -> str | None:
    if not duplicates:
        return None
    others = ", ".join(f"#{d.id} ({_label(STATUS_LABELS, d.status).lower()})" for d in duplicates)
    kind = _label(TYPE_LABELS, request.type).lower()
    return f"Likely duplicate: open {kind} request(s) for the same email: {others}."


def _status_targets(request: PrivacyRequest) -> list[str]:
    """The next statuses, less those with their own form: waiting for the client comes with forwarding,
    and work on an identity check starts with "Identity confirmed"."""
    own_form = {"awaiting_client"} | ({"in_progress"} if request.status == "verifying_identity" else set())
    return [s for s in allowed_next(request.status, is_processor=request.is_processor) if s not in own_form]


def _extension_blocked(request: PrivacyRequest, rule: deadlines.DeadlineRule) -> str | None:
    if request.extended:
        return "it was already extended once."
    if request.is_processor:
        return "the client decides for its end users."
    if not rule.extendable:
        return f"{rule.label} allows none."
    return None


def _processor_step(request: PrivacyRequest) -> ProcessorStep | None:
    if not request.is_processor:
        return None
    return ProcessorStep.INSTRUCTION if request.status == "awaiting_client" else ProcessorStep.FORWARD


def _subject_contact(contact: Contact, zone: str) -> SubjectContact:
    return SubjectContact(
        id=contact.id,
        email=contact.email,
        values={name: getattr(contact, name) for name in subjects.CORRECTABLE_FIELDS},
        marketing=(
            f"opted out since {_when(contact.marketing_opt_out_at, zone)}"
            if contact.marketing_opt_out
            else "receives marketing"
        ),
    )


def _timeline(events: list[PrivacyRequestEvent]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"at": e.at, "who": e.actor, "what": e.kind.replace("_", " "), "text": e.text} for e in events],
        columns=TIMELINE_NAMES,
    )


# --- the yearly report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportScreen:
    by: str  # "type" or "jurisdiction"
    rows: pd.DataFrame  # reports.COLUMNS; `group` in words, "All" for each year's total
    detail: pd.DataFrame  # one row per year and group, without the totals (what the chart shows)


def report_screen(session: Session, *, by: str) -> ReportScreen:
    """The yearly report broken down `by` type or jurisdiction, its groups named for people."""
    rows = reports.yearly_report(session, by=by)
    labels = TYPE_LABELS if by == "type" else JURISDICTION_LABELS
    rows["group"] = rows["group"].map(lambda g: "All" if g == "all" else _label(labels, g))
    return ReportScreen(by=by, rows=rows, detail=rows[rows["group"] != "All"].reset_index(drop=True))
