"""The deadlines calendar feed: valid iCalendar, open requests only, stable UIDs, no personal data."""

from __future__ import annotations

from datetime import UTC, date, datetime

from dashboard.privacy import calendar_feed
from dashboard.privacy import requests as svc
from tests.privacy_helpers import new_request

NOW = datetime(2026, 3, 16, 9, 30, tzinfo=UTC)


def _unfold(data: bytes) -> list[str]:
    text = data.decode()
    assert "\n" not in text.replace("\r\n", "")  # CRLF only
    return text.replace("\r\n ", "").split("\r\n")


def test_ics_has_due_dates_and_owed_acknowledgements_of_open_requests(session, make_user) -> None:
    officer = make_user("privacy_officer")
    gdpr = new_request(session, officer, subject_name="Zoë Secret", subject_email="zoe@example.com")
    ccpa = new_request(session, officer, jurisdiction="ccpa", subject_email="c@example.com")
    closed = new_request(session, officer, jurisdiction="lgpd", subject_email="l@example.com")
    svc.change_status(session, officer, request_id=closed.id, expected_version=1, status="withdrawn")
    session.commit()
    lines = _unfold(calendar_feed.deadlines_ics(session, now=NOW))
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert lines.count("BEGIN:VEVENT") == 3  # GDPR due, CCPA due, CCPA acknowledgement
    assert f"UID:privacy-request-{gdpr.id}-due@apps-console" in lines
    assert "DTSTART;VALUE=DATE:20260402" in lines and "DTEND;VALUE=DATE:20260403" in lines
    assert f"UID:privacy-request-{ccpa.id}-ack@apps-console" in lines
    assert "DTSTART;VALUE=DATE:20260316" in lines  # 2 March + 10 US business days
    assert f"privacy-request-{closed.id}" not in "\n".join(lines)
    assert "DTSTAMP:20260316T093000Z" in lines
    text = "\n".join(lines)
    assert "Zoë" not in text and "zoe@example.com" not in text
    assert f"SUMMARY:Privacy request #{ccpa.id} due (Access\\, California CCPA/CPRA)" in lines


def test_acknowledged_requests_lose_their_acknowledgement_event_and_mine_filters(session, make_user) -> None:
    officer, other = make_user("privacy_officer"), make_user("privacy_officer")
    ccpa = new_request(session, officer, jurisdiction="ccpa", subject_email="c@example.com")
    svc.acknowledge(
        session,
        officer,
        request_id=ccpa.id,
        expected_version=1,
        acknowledged_on=date(2026, 3, 3),
        today=NOW.date(),
    )
    svc.assign(session, officer, request_id=ccpa.id, expected_version=2, assignee_id=other.user_id)
    new_request(session, officer, subject_email="g@example.com")
    session.commit()
    events = calendar_feed.deadline_events(session)
    assert len(events) == 2
    assert not [e for e in events if "ack" in e["uid"]]
    mine = calendar_feed.deadline_events(session, assignee_id=other.user_id)
    assert [e["uid"] for e in mine] == [f"privacy-request-{ccpa.id}-due@apps-console"]


def test_long_lines_are_folded_at_75_octets() -> None:
    folded = calendar_feed._fold("SUMMARY:" + "ü" * 100)
    for part in folded.split("\r\n"):
        assert len(part.encode()) <= 75
    assert folded.replace("\r\n ", "") == "SUMMARY:" + "ü" * 100
