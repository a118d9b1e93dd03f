"""The privacy request queue as data: the figures above it and its rows (machine values, `QUEUE_COLUMNS`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlmodel import Session

from dashboard.presentation.columns import Column, Columns, Kind
from dashboard.privacy import queue
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
