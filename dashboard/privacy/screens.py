"""The privacy request queue as data: the figures above it and its rows (machine values, `QUEUE_COLUMNS`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

import pandas as pd
from sqlmodel import Session

from dashboard.presentation.columns import Column, Columns, Kind
from dashboard.privacy import calendar_feed, queue, requests
from dashboard.privacy.deadlines import JURISDICTION_LABELS
from dashboard.privacy.requests import TYPE_LABELS
from dashboard.privacy.states import OPEN_STATUSES, STATUS_LABELS

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
