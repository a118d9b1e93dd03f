"""Corrections, opt-outs and the suppression list; the queue's order, urgency and filters; the report."""

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from sqlmodel import select

from dashboard.core.errors import ValidationError
from dashboard.privacy import queue, reports, requests, subjects
from models import AuditEvent, Contact, PrivacyRequest
from tests.privacy_helpers import TODAY, add_account_with_contact, new_request


def test_correction_changes_the_contact_and_records_before_and_after(session, make_user) -> None:
    officer = make_user("privacy_officer")
    contact = add_account_with_contact(session)
    request = new_request(session, officer, type="correction")
    changes = subjects.correct_contact(
        session,
        officer,
        request_id=request.id,
        expected_version=1,
        contact_id=contact.id,
        values={"name": "Maria Costa-Silva", "phone": "+44 20 7946 0000"},
    )
    session.commit()
    assert changes == {"name": {"before": "Maria Costa", "after": "Maria Costa-Silva"}}
    session.expire_all()
    assert session.get(Contact, contact.id).name == "Maria Costa-Silva"
    event = requests.timeline(session, request.id)[0]
    assert event.kind == "corrected" and event.details["changes"] == changes
    audit_row = session.exec(select(AuditEvent).where(AuditEvent.action == "privacy_contact_corrected")).one()
    assert audit_row.details["changes"] == changes


def test_bad_correction_writes_nothing(session, make_user) -> None:
    officer = make_user("privacy_officer")
    contact = add_account_with_contact(session)
    request = new_request(session, officer, type="correction")
    with pytest.raises(ValidationError) as error:
        subjects.correct_contact(
            session,
            officer,
            request_id=request.id,
            expected_version=1,
            contact_id=contact.id,
            values={"name": "New", "email": "broken@"},
        )
    session.rollback()
    session.expire_all()
    assert error.value.field == "contact_email"
    assert session.get(Contact, contact.id).name == "Maria Costa"
    assert session.get(PrivacyRequest, request.id).version == 1


def test_opt_out_sets_the_flag_with_its_date_and_feeds_the_suppression_list(session, make_user) -> None:
    officer = make_user("privacy_officer")
    contact = add_account_with_contact(session)
    request = new_request(session, officer, type="opt_out")
    effective = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
    assert subjects.apply_opt_out(
        session, officer, request_id=request.id, expected_version=1, effective_at=effective
    ) == [contact.id]
    session.commit()
    assert subjects.suppression_list(session) == [
        {"email": "maria.costa@acme.example", "opted_out_at": effective, "contacts": 1}
    ]
    with pytest.raises(ValidationError, match="opted out already"):
        subjects.apply_opt_out(session, officer, request_id=request.id, expected_version=2)


def test_urgency_colours_and_words() -> None:
    def at(days: int) -> queue.Urgency:
        return queue.urgency(TODAY + timedelta(days=days), today=TODAY, status="new")

    assert (at(10).level, at(9).level, at(5).level, at(4).level) == ("green", "amber", "amber", "red")
    assert at(0).label == "due today" and at(0).level == "red"
    assert at(-1).label == "overdue by 1 day" and at(-3).level == "overdue"
    assert queue.urgency(TODAY, today=TODAY, status="completed").label == "closed"


def test_queue_puts_overdue_first_flags_duplicates_and_filters(session, make_user) -> None:
    officer, admin = make_user("privacy_officer"), make_user("admin")
    later = new_request(session, officer, received_on=date(2026, 3, 10))  # due 10 April
    overdue = new_request(
        session, officer, jurisdiction="lgpd", received_on=date(2026, 2, 1), subject_email="old@example.com"
    )  # due 16 Feb
    dup = new_request(session, officer, received_on=date(2026, 3, 1))  # same type + email
    requests.assign(session, officer, request_id=dup.id, expected_version=1, assignee_id=admin.user_id)
    session.commit()
    rows = queue.queue_rows(session, today=TODAY)
    assert [r["id"] for r in rows] == [overdue.id, dup.id, later.id]
    assert rows[0]["deadline"] == "overdue by 28 days"
    assert [r["likely_duplicate"] for r in rows] == [False, True, True]
    mine = queue.queue_rows(session, today=TODAY, filters=queue.QueueFilters(mine_user_id=admin.user_id))
    assert [r["id"] for r in mine] == [dup.id]
    lgpd = queue.queue_rows(session, today=TODAY, filters=queue.QueueFilters(jurisdictions=("lgpd",)))
    assert [r["id"] for r in lgpd] == [overdue.id]


def test_yearly_report_counts_and_days_to_respond(session, make_user) -> None:
    officer = make_user("privacy_officer")
    durations = [5, 10, 20, 30]
    for index, days in enumerate(durations):
        request = new_request(
            session, officer, received_on=date(2025, 1, 1), subject_email=f"s{index}@x.example"
        )
        status = "denied" if index == 3 else "completed"
        session.execute(
            PrivacyRequest.__table__.update()
            .where(PrivacyRequest.id == request.id)
            .values(status=status, completed_at=datetime(2025, 1, 1 + days, 15, 0, tzinfo=UTC))
        )
    new_request(session, officer, type="deletion", received_on=date(2026, 1, 5), subject_email="n@x.example")
    session.commit()
    report = reports.yearly_report(session, by="type")
    access_2025 = report[(report.year == 2025) & (report.group == "access")].iloc[0]
    assert (access_2025.received, access_2025.completed, access_2025.denied) == (4, 3, 1)
    assert access_2025.median_days == 15.0
    assert access_2025.p95_days == pytest.approx(28.5)
    assert list(report.year) == [2026, 2026, 2025, 2025]
    assert report.iloc[1].group == "all" and pd.isna(report.iloc[1].median_days)  # nothing answered yet
