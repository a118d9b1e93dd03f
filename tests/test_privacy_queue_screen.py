"""The privacy queue screen without Streamlit: its figures on invented requests, worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from dashboard.presentation.columns import display_text
from dashboard.privacy.queue import QueueFilters
from dashboard.privacy.screens import QUEUE_COLUMNS, queue_screen
from models import PrivacyRequest

TODAY = date(2026, 3, 16)


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
