"""Reading the audit log: filters applied in SQL, newest first, one page at a time."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select
from sqlmodel import Session, select

from dashboard.presentation.columns import Column, Columns, Kind
from models import AuditEvent

COLUMNS = ("id", "at", "actor", "actor_role", "action", "target_type", "target_id", "account_id", "details")

# The audit table as shown; actions and targets stay in their stored form (they are what one searches by).
AUDIT_COLUMNS: Columns = {
    "id": Column("#", Kind.COUNT),
    "at": Column("When", Kind.DATETIME),
    "actor": Column("Who"),
    "actor_role": Column("Role", Kind.ENUM),
    "action": Column("Action"),
    "target_type": Column("Target"),
    "target_id": Column("Target ID"),
    "account_id": Column("Account", Kind.COUNT),
    "details": Column("Details"),
}


@dataclass(frozen=True)
class AuditFilter:
    """Empty strings and None mean "any". `until` is exclusive."""

    actor: str = ""  # part of the actor's email, any case
    action: str = ""
    target_type: str = ""
    target_id: str = ""
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    rows: list[dict[str, Any]]
    page: int
    has_next: bool


DEFAULT_DAYS = 30


def dates_shown(picked: tuple[date, ...] | None, today: date) -> tuple[date, date]:
    """The whole days the log shows: the picked range (one day when only its start is picked yet), else
    the last DEFAULT_DAYS days up to today."""
    if picked:
        return picked[0], picked[-1]
    return today - timedelta(days=DEFAULT_DAYS), today


def day_bounds(first: date, last: date, tz_name: str) -> tuple[datetime, datetime]:
    """From the start of `first` to the end of `last` in the viewer's zone, as aware datetimes."""
    zone = ZoneInfo(tz_name)
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def _filtered(query: Select, flt: AuditFilter) -> Select:
    if flt.actor.strip():
        query = query.where(AuditEvent.actor.ilike(f"%{_escape_like(flt.actor.strip())}%", escape="\\"))
    if flt.action:
        query = query.where(AuditEvent.action == flt.action)
    if flt.target_type:
        query = query.where(AuditEvent.target_type == flt.target_type)
    if flt.target_id.strip():
        query = query.where(AuditEvent.target_id == flt.target_id.strip())
    if flt.since is not None:
        query = query.where(AuditEvent.at >= flt.since)
    if flt.until is not None:
        query = query.where(AuditEvent.at < flt.until)
    return query


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _as_row(event: AuditEvent) -> dict[str, Any]:
    row = {column: getattr(event, column) for column in COLUMNS}
    row["details"] = json.dumps(event.details, sort_keys=True, ensure_ascii=False) if event.details else ""
    return row


def find_events(session: Session, flt: AuditFilter, *, page: int = 1, page_size: int = 100) -> AuditPage:
    """One page of matching events, newest first. Reads one row more than shown to know if more follow."""
    page = max(1, page)
    query = _filtered(select(AuditEvent), flt).order_by(AuditEvent.id.desc())
    events = session.exec(query.offset((page - 1) * page_size).limit(page_size + 1)).all()
    return AuditPage([_as_row(e) for e in events[:page_size]], page, len(events) > page_size)


def export_events(session: Session, flt: AuditFilter, *, max_rows: int = 100_000) -> list[dict[str, Any]]:
    """All matching events (up to `max_rows`), newest first, for a CSV download."""
    query = _filtered(select(AuditEvent), flt).order_by(AuditEvent.id.desc()).limit(max_rows)
    return [_as_row(e) for e in session.exec(query)]


def known_actions(session: Session) -> list[str]:
    return sorted(session.exec(select(AuditEvent.action).distinct()).all())


def known_target_types(session: Session) -> list[str]:
    return sorted(t for t in session.exec(select(AuditEvent.target_type).distinct()).all() if t)
