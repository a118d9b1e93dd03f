"""One privacy request's detail screen without Streamlit: every figure it shows, on invented requests."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from dashboard.core.errors import ValidationError
from dashboard.privacy import requests as svc
from dashboard.privacy import subjects
from dashboard.privacy.deadlines import JURISDICTION_LABELS
from dashboard.privacy.screens import ProcessorStep, SubjectContact, request_detail_screen
from models import Account
from tests.privacy_helpers import TODAY, add_account_with_contact, new_request

BERLIN = "Europe/Berlin"
NOW = datetime(2026, 3, 16, 9, 30, tzinfo=UTC)


def _screen(session: Session, request_id: int, today: date = TODAY):
    return request_detail_screen(session, request_id, today=today, zone=BERLIN)


def test_a_controller_request_for_a_customer_contact(session: Session, make_user, freeze) -> None:
    freeze(NOW)
    officer = make_user("privacy_officer")
    contact = add_account_with_contact(session)
    request = new_request(
        session, officer, jurisdiction="ccpa", channel="phone", notes="Called the support line."
    )
    svc.assign(session, officer, request_id=request.id, expected_version=1, assignee_id=officer.user_id)
    session.commit()

    screen = _screen(session, request.id)

    assert screen.title == f"Request #{request.id} · Access"
    assert screen.has_exports
    assert (screen.status, screen.jurisdiction, screen.assignee) == (
        "New",
        "California CCPA/CPRA",
        "Privacy Officer",
    )
    # CCPA: 45 days from 2 March is 16 April, 31 days after 16 March; receipt confirmed in 10 business days
    assert (screen.due, screen.due_state, screen.due_alarming) == ("16 Apr 2026", "31 days left", False)
    assert screen.subject == "Maria Costa <maria.costa@acme.example>"
    assert screen.facts == {
        "Law": "Jurisdiction: California CCPA/CPRA (Cal. Civ. Code § 1798.130(a)(2); Cal. Code Regs. "
        "tit. 11, § 7021). Suggested was Other; chosen instead because: —",
        "Received": "02 Mar 2026 via phone",
        "Clock started": "02 Mar 2026",
        "Acknowledge by": "16 Mar 2026",
        "Acknowledged": "—",
        "Extended": "no",
        "Customer": "Acme Labs",
    }
    assert screen.facts["Law"] == screen.jurisdiction_note
    assert not screen.processor and screen.notes == "Called the support line."
    assert screen.duplicates == [] and screen.duplicate_warning is None
    assert screen.open
    assert screen.status_targets == ["verifying_identity", "in_progress", "denied", "withdrawn"]
    assert not screen.confirms_identity
    assert not screen.appeal_required  # CCPA asks for no appeal information on a denial
    assert screen.acknowledge_by == date(2026, 3, 16)
    assert screen.officers == {officer.user_id: "Privacy Officer (privacy officer)"}
    assert screen.extension_blocked is None and screen.extended_due == date(2026, 5, 31)
    assert screen.jurisdiction_choices == [key for key in JURISDICTION_LABELS if key != "ccpa"]
    assert screen.processor_step is None
    assert screen.contacts == [
        SubjectContact(
            id=contact.id,
            email="maria.costa@acme.example",
            values={
                "name": "Maria Costa",
                "email": "maria.costa@acme.example",
                "phone": "+44 20 7946 0000",
                "job_title": "Support Manager",
            },
            marketing="receives marketing",
        )
    ]
    timeline = screen.timeline.to_dict("records")
    assert [(row["who"], row["what"], row["text"]) for row in timeline] == [
        (officer.email, "assigned", f"Assigned to {officer.email}."),
        (officer.email, "created", "Called the support line."),
    ]
    assert [row["at"] for row in timeline] == [
        NOW,
        NOW,
    ]  # stored UTC: the page shows them in the viewer's zone


def test_an_opt_out_shows_since_when_in_the_viewers_zone(session: Session, make_user, freeze) -> None:
    freeze(NOW)
    officer = make_user("privacy_officer")
    add_account_with_contact(session)
    request = new_request(session, officer, type="opt_out")
    subjects.apply_opt_out(session, officer, request_id=request.id, expected_version=1)
    session.commit()

    screen = _screen(session, request.id)

    assert [c.marketing for c in screen.contacts] == ["opted out since 16 Mar 2026 10:30 CET"]
    assert not screen.has_exports  # an opt-out has no exports or deletions
    assert screen.timeline["what"].tolist() == ["opted out", "created"]


def test_a_processor_request_waits_for_its_client(session: Session, make_user, freeze) -> None:
    freeze(datetime(2026, 3, 16, 8, 0, tzinfo=UTC))
    officer = make_user("privacy_officer")
    client = Account(company_name="Globex", zendesk_subdomain="globex")
    session.add(client)
    session.commit()
    request = new_request(session, officer, type="deletion", subject_kind="end_user", account_id=client.id)
    assert _screen(session, request.id).processor_step is ProcessorStep.FORWARD
    svc.forward_to_client(session, officer, request_id=request.id, expected_version=1, note="Emailed Globex.")
    session.commit()

    screen = _screen(session, request.id)

    assert screen.status == "Awaiting client instruction" and screen.processor
    assert screen.processor_step is ProcessorStep.INSTRUCTION
    assert {
        k: screen.facts[k] for k in ("Processor request for", "Forwarded to client", "Client's instruction")
    } == {
        "Processor request for": "Globex",
        "Forwarded to client": "16 Mar 2026 09:00 CET",
        "Client's instruction": "not yet received",
    }
    assert "Customer" not in screen.facts
    assert screen.extension_blocked == "the client decides for its end users."
    assert screen.extended_due is None
    assert screen.status_targets == ["in_progress", "denied", "withdrawn"]
    assert screen.assignee == "nobody"

    freeze(datetime(2026, 3, 17, 14, 5, tzinfo=UTC))
    svc.record_client_instruction(
        session, officer, request_id=request.id, expected_version=2, instruction="Delete"
    )
    session.commit()
    screen = _screen(session, request.id)
    assert screen.facts["Client's instruction"] == "Delete (17 Mar 2026 15:05 CET)"
    assert screen.processor_step is ProcessorStep.FORWARD  # in progress again: the form offered is forwarding


def test_an_identity_check_has_its_own_way_on_and_appeal_information_is_owed(
    session: Session, make_user
) -> None:
    officer = make_user("privacy_officer")
    request = new_request(session, officer)
    svc.change_status(
        session, officer, request_id=request.id, expected_version=1, status="verifying_identity"
    )
    session.commit()

    screen = _screen(session, request.id)

    assert screen.confirms_identity
    assert screen.status_targets == ["denied", "withdrawn"]  # in progress only through "Identity confirmed"
    assert screen.appeal_required  # GDPR: a denial says how to complain
    assert screen.acknowledge_by is None  # GDPR owes no separate acknowledgement
    assert (screen.due, screen.due_state, screen.due_alarming) == ("02 Apr 2026", "17 days left", False)


def test_an_extended_request_and_the_laws_without_one(session: Session, make_user) -> None:
    officer = make_user("privacy_officer")
    extended = new_request(session, officer)
    svc.extend(
        session,
        officer,
        request_id=extended.id,
        expected_version=1,
        reason="Large archive to search.",
        notified_on=date(2026, 3, 14),
        today=TODAY,
    )
    brazil = new_request(
        session, officer, type="correction", jurisdiction="lgpd", subject_email="b@x.example"
    )
    session.commit()

    screen = _screen(session, extended.id)
    assert screen.facts["Extended"] == "yes, subject told 14 Mar 2026: Large archive to search."
    assert screen.extension_blocked == "it was already extended once."
    assert screen.due == "02 Jun 2026"

    screen = _screen(session, brazil.id)
    assert screen.extension_blocked == "Brazil LGPD allows none." and screen.extended_due is None
    assert (screen.due, screen.due_state, screen.due_alarming) == ("17 Mar 2026", "1 day left", True)
    assert _screen(session, brazil.id, today=date(2026, 3, 19)).due_state == "overdue by 2 days"
    assert screen.contacts == []


def test_duplicates_then_the_merged_and_the_denied_request(session: Session, make_user) -> None:
    officer = make_user("privacy_officer")
    first = new_request(session, officer)
    second = new_request(session, officer, subject_email="MARIA.COSTA@acme.example")

    screen = _screen(session, second.id)
    assert screen.duplicates == [first.id]
    assert screen.duplicate_warning == (
        f"Likely duplicate: open access request(s) for the same email: #{first.id} (new)."
    )

    svc.merge_duplicate(session, officer, request_id=second.id, expected_version=1, into_id=first.id)
    svc.change_status(
        session,
        officer,
        request_id=first.id,
        expected_version=1,
        status="denied",
        reason="Manifestly unfounded.",
        appeal_info="Write to the supervisory authority.",
    )
    session.commit()

    merged = _screen(session, second.id)
    assert merged.facts["Merged into"] == f"request #{first.id}"
    assert (merged.status, merged.open, merged.duplicates) == ("Withdrawn", False, [])
    assert (merged.due_state, merged.due_alarming) == ("closed", False)
    denied = _screen(session, first.id)
    assert denied.facts["Denial reason"] == "Manifestly unfounded."
    assert denied.facts["How to appeal"] == "Write to the supervisory authority."
    assert denied.status_targets == []
    assert denied.timeline["what"].tolist() == ["status changed", "duplicate merged", "created"]


def test_no_such_request(session: Session) -> None:
    with pytest.raises(ValidationError, match="no privacy request #99"):
        _screen(session, 99)
