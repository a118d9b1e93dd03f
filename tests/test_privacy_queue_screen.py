"""The privacy queue screen without Streamlit: its figures on invented requests, worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from dashboard.presentation.columns import display_text
from dashboard.privacy import requests as svc
from dashboard.privacy.queue import QueueFilters
from dashboard.privacy.screens import QUEUE_COLUMNS, UNASSIGNED, QueueInputs, queue_page, queue_screen
from models import PrivacyRequest
from tests.privacy_helpers import new_request

TODAY = date(2026, 3, 16)
NOW = datetime(2026, 3, 16, 9, 30, tzinfo=UTC)


def test_queue_figures(session: Session) -> None:
    # Open: one overdue (due yesterday), one due today, one due in 3 days, one in 20; one completed
    # request overdue on paper does not count.
    for number, (status, due_in) in enumerate(
        [("new", -1), ("in_progress", 0), ("verifying_identity", 3), ("new", 20), ("completed", -5)]
    ):
        session.add(
            PrivacyRequest(
                type="access",
                status=status,
                subject_name=f"Person {number}",
                subject_email=f"person{number}@example.com",
                jurisdiction="eu_gdpr",
                received_on=TODAY - timedelta(days=10),
                due_on=TODAY + timedelta(days=due_in),
            )
        )
    session.commit()

    screen = queue_screen(session, QueueFilters(statuses=()), today=TODAY)  # every status

    assert (screen.shown, screen.overdue, screen.due_today) == (5, 1, 1)
    assert screen.under_five_days == 2  # due today and in 3 days
    assert screen.rows["due_on"].tolist()[:4] == [TODAY + timedelta(days=d) for d in (-1, 0, 3, 20)]
    assert display_text("eu_gdpr", QUEUE_COLUMNS["jurisdiction"]) == "EU GDPR"
    assert display_text("verifying_identity", QUEUE_COLUMNS["status"]) == "Verifying identity"


def test_queue_page_resolves_the_assignee_and_builds_the_calendar(session: Session, make_user) -> None:
    officer, other = make_user("privacy_officer"), make_user("admin")
    mine = new_request(session, officer, subject_email="a@example.com")
    theirs = new_request(session, officer, subject_email="b@example.com")
    nobodys = new_request(session, officer, subject_email="c@example.com")
    svc.assign(session, officer, request_id=mine.id, expected_version=1, assignee_id=officer.user_id)
    svc.assign(session, officer, request_id=theirs.id, expected_version=1, assignee_id=other.user_id)
    session.commit()

    def shown(inputs: QueueInputs) -> list[int]:
        page = queue_page(session, inputs, viewer_id=officer.user_id, today=NOW.date(), now=NOW)
        return sorted(page.queue.rows["id"])

    page = queue_page(session, QueueInputs(), viewer_id=officer.user_id, today=NOW.date(), now=NOW)
    assert set(page.officers) == {officer.user_id, other.user_id}
    assert next(iter(page.assignees)) == UNASSIGNED and str(other.user_id) in page.assignees
    assert sorted(page.queue.rows["id"]) == sorted([mine.id, theirs.id, nobodys.id])
    assert shown(QueueInputs(assignee=str(other.user_id))) == [theirs.id]
    assert shown(QueueInputs(assignee=UNASSIGNED)) == [nobodys.id]
    assert shown(QueueInputs(mine=True)) == [mine.id]
    assert shown(QueueInputs(assignee="999999")) == sorted([mine.id, theirs.id, nobodys.id])  # not an officer

    assert page.calendar.count(b"BEGIN:VEVENT") == 3 and b"DTSTAMP:20260316T093000Z" in page.calendar
    only_mine = queue_page(
        session, QueueInputs(calendar_mine=True), viewer_id=officer.user_id, today=NOW.date(), now=NOW
    )
    assert only_mine.calendar.count(b"BEGIN:VEVENT") == 1
    assert f"privacy-request-{mine.id}-due".encode() in only_mine.calendar
