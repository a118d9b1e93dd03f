"""Open requests' deadlines as an iCalendar (RFC 5545) file for the officer's calendar.

One all-day event per open request's due date, and one per acknowledgement still owed. No personal
data in the events: request number, type, law and status only (calendars are often shared or synced
to phones). UIDs are stable, so importing again updates the events instead of duplicating them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from dashboard.privacy.deadlines import JURISDICTION_LABELS
from dashboard.privacy.requests import TYPE_LABELS
from dashboard.privacy.states import OPEN_STATUSES, STATUS_LABELS
from models import PrivacyRequest


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets are folded (CRLF + space), never inside a UTF-8 character."""
    out, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def _event(uid: str, day: date, summary: str, description: str, stamp: str) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
        f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{_escape(summary)}",
        f"DESCRIPTION:{_escape(description)}",
        "TRANSP:TRANSPARENT",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        f"DESCRIPTION:{_escape(summary)}",
        "TRIGGER:-P2D",
        "END:VALARM",
        "END:VEVENT",
    ]


def deadline_events(session: Session, *, assignee_id: int | None = None) -> list[dict[str, object]]:
    """The events as plain data (what the file holds), oldest deadline first."""
    query = select(PrivacyRequest).where(PrivacyRequest.status.in_(OPEN_STATUSES))
    if assignee_id is not None:
        query = query.where(PrivacyRequest.assignee_id == assignee_id)
    events: list[dict[str, object]] = []
    for request in session.exec(query.order_by(PrivacyRequest.due_on, PrivacyRequest.id)).all():
        what = (
            f"{TYPE_LABELS.get(request.type, request.type)}, "
            f"{JURISDICTION_LABELS.get(request.jurisdiction, request.jurisdiction)}"
        )
        status = STATUS_LABELS.get(request.status, request.status)
        detail = f"Status: {status}. Privacy requests page, ?id={request.id}."
        if request.due_on:
            events.append(
                {
                    "uid": f"privacy-request-{request.id}-due@apps-console",
                    "day": request.due_on,
                    "summary": f"Privacy request #{request.id} due ({what})",
                    "description": detail,
                }
            )
        if request.acknowledge_by and request.acknowledged_on is None:
            events.append(
                {
                    "uid": f"privacy-request-{request.id}-ack@apps-console",
                    "day": request.acknowledge_by,
                    "summary": f"Acknowledge privacy request #{request.id} ({what})",
                    "description": detail,
                }
            )
    return sorted(events, key=lambda e: (e["day"], e["uid"]))


def deadlines_ics(session: Session, *, now: datetime, assignee_id: int | None = None) -> bytes:
    """The calendar file: CRLF lines, folded at 75 octets, UTF-8."""
    stamp = f"{now:%Y%m%dT%H%M%SZ}"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Apps Console//Privacy deadlines//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Privacy request deadlines",
    ]
    for event in deadline_events(session, assignee_id=assignee_id):
        lines += _event(event["uid"], event["day"], event["summary"], event["description"], stamp)
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode()
