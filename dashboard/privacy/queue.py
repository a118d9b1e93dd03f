"""The officer's queue: open requests by deadline (overdue first), with filters and urgency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from dashboard.privacy.states import OPEN_STATUSES
from models import PrivacyRequest, User

GREEN_FROM_DAYS = 10
AMBER_FROM_DAYS = 5


@dataclass(frozen=True)
class Urgency:
    days_left: int | None
    label: str
    level: str  # overdue | red | amber | green | closed


def urgency(due_on: date | None, *, today: date, status: str) -> Urgency:
    """Days left and how worried to be: green ≥ 10, amber 5–9, red < 5; due today and overdue spelled out."""
    if status not in OPEN_STATUSES or due_on is None:
        return Urgency(None, "closed" if status not in OPEN_STATUSES else "no deadline", "closed")
    days = (due_on - today).days
    if days < 0:
        return Urgency(days, f"overdue by {-days} day{'s' if days != -1 else ''}", "overdue")
    if days == 0:
        return Urgency(0, "due today", "red")
    label = f"{days} day{'s' if days != 1 else ''} left"
    if days < AMBER_FROM_DAYS:
        return Urgency(days, label, "red")
    return Urgency(days, label, "amber" if days < GREEN_FROM_DAYS else "green")


@dataclass(frozen=True)
class QueueFilters:
    types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = OPEN_STATUSES
    jurisdictions: tuple[str, ...] = ()
    assignee_id: int | None = None
    unassigned: bool = False
    mine_user_id: int | None = None  # "mine": assigned to this user


def _duplicate_keys():
    """(type, lower email) pairs with more than one open request."""
    email = func.lower(PrivacyRequest.subject_email)
    return (
        select(PrivacyRequest.type.label("dup_type"), email.label("dup_email"))
        .where(PrivacyRequest.status.in_(OPEN_STATUSES))
        .group_by(PrivacyRequest.type, email)
        .having(func.count() > 1)
        .subquery()
    )


def queue_rows(
    session: Session, *, today: date, filters: QueueFilters = QueueFilters()
) -> list[dict[str, Any]]:
    """Requests matching `filters`: open ones by due date (so overdue first), then closed ones."""
    assignee = aliased(User)
    dups = _duplicate_keys()
    is_duplicate = case((dups.c.dup_type.is_not(None), True), else_=False)
    r = PrivacyRequest
    query = (
        select(
            r.id,
            r.type,
            r.status,
            r.subject_name,
            r.subject_email,
            r.jurisdiction,
            r.received_on,
            r.due_on,
            r.is_processor,
            r.extended,
            r.version,
            assignee.name,
            assignee.email,
            is_duplicate,
        )
        .join(assignee, assignee.id == PrivacyRequest.assignee_id, isouter=True)
        .join(
            dups,
            (dups.c.dup_type == PrivacyRequest.type)
            & (dups.c.dup_email == func.lower(PrivacyRequest.subject_email))
            & PrivacyRequest.status.in_(OPEN_STATUSES),
            isouter=True,
        )
    )
    if filters.types:
        query = query.where(PrivacyRequest.type.in_(filters.types))
    if filters.statuses:
        query = query.where(PrivacyRequest.status.in_(filters.statuses))
    if filters.jurisdictions:
        query = query.where(PrivacyRequest.jurisdiction.in_(filters.jurisdictions))
    if filters.assignee_id is not None:
        query = query.where(PrivacyRequest.assignee_id == filters.assignee_id)
    if filters.unassigned:
        query = query.where(PrivacyRequest.assignee_id.is_(None))
    if filters.mine_user_id is not None:
        query = query.where(PrivacyRequest.assignee_id == filters.mine_user_id)
    closed_last = case((PrivacyRequest.status.in_(OPEN_STATUSES), 0), else_=1)
    query = query.order_by(closed_last, PrivacyRequest.due_on, PrivacyRequest.id)
    rows = []
    for row in session.exec(query).all():
        level = urgency(row.due_on, today=today, status=row.status)
        rows.append(
            {
                "id": row.id,
                "type": row.type,
                "status": row.status,
                "subject_name": row.subject_name,
                "subject_email": row.subject_email,
                "jurisdiction": row.jurisdiction,
                "received_on": row.received_on,
                "due_on": row.due_on,
                "days_left": level.days_left,
                "deadline": level.label,
                "urgency": level.level,
                "assignee": row.name or row.email or "",
                "processor": row.is_processor,
                "extended": row.extended,
                "likely_duplicate": bool(row[-1]),
                "version": row.version,
            }
        )
    return rows
