"""Logging a request from the intake form: the request with its deadlines, what the form says next, and
the open requests it likely duplicates, told only to a viewer who may see the queue (an account manager
may log a request but must learn nothing of other requests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from dashboard.access.identity import Actor
from dashboard.privacy.jurisdiction import jurisdiction_note
from dashboard.privacy.requests import create_request, likely_duplicates


@dataclass(frozen=True)
class LoggedRequest:
    id: int
    due_on: date
    subject_name: str
    jurisdiction_note: str
    duplicate_ids: tuple[int, ...]


def log_request(
    session: Session, actor: Actor, *, today: date, sees_queue: bool, **form: Any
) -> LoggedRequest:
    """`create_request` with the form's fields; bad input raises ValidationError and writes nothing."""
    request = create_request(session, actor, today=today, **form)
    duplicates = (
        likely_duplicates(session, type=request.type, email=request.subject_email, exclude_id=request.id)
        if sees_queue
        else []
    )
    return LoggedRequest(
        id=request.id,
        due_on=request.due_on,
        subject_name=request.subject_name,
        jurisdiction_note=jurisdiction_note(request),
        duplicate_ids=tuple(duplicate.id for duplicate in duplicates),
    )
