"""The request service: intake, the state machine, versioning, extension, processor rule, duplicates."""

from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from dashboard.core.errors import ConflictError, ValidationError
from dashboard.privacy import requests as svc
from dashboard.privacy.intake import log_request
from dashboard.privacy.states import STATUS_LABELS, TRANSITIONS
from models import Account, AuditEvent, PrivacyRequest, PrivacyRequestEvent
from tests.privacy_helpers import TODAY, add_account_with_contact, new_request


def _count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def _rows(session: Session) -> tuple[int, int, int]:
    session.expire_all()
    return _count(session, PrivacyRequest), _count(session, PrivacyRequestEvent), _count(session, AuditEvent)


def test_intake_computes_deadlines_links_the_contact_and_audits(session, make_user) -> None:
    officer = make_user("privacy_officer")
    contact = add_account_with_contact(session)
    request = new_request(session, officer, subject_email="Maria.Costa@ACME.example", jurisdiction="ccpa")
    assert request.subject_email == "maria.costa@acme.example"
    assert request.contact_id == contact.id and request.account_id == contact.account_id
    assert request.due_on == date(2026, 4, 16)
    assert request.acknowledge_by == date(2026, 3, 16)
    assert request.status == "new" and request.version == 1
    audit_row = session.exec(select(AuditEvent).where(AuditEvent.action == "privacy_request_created")).one()
    assert audit_row.target_id == str(request.id) and audit_row.actor == officer.email
    assert [e.kind for e in svc.timeline(session, request.id)] == ["created"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject_email": "not-an-email"}, "subject_email"),
        ({"subject_name": "   "}, "subject_name"),
        ({"received_on": date(2026, 3, 17)}, "received_on"),
        ({"notes": "x" * 10_000}, "notes"),
        ({"type": "erase_everything"}, "type"),
        ({"jurisdiction": "mars"}, "jurisdiction"),
        ({"subject_kind": "end_user"}, "account_id"),
    ],
)
def test_bad_intake_is_refused_and_writes_nothing(session, make_user, overrides, field) -> None:
    officer = make_user("privacy_officer")
    before = _rows(session)
    with pytest.raises(ValidationError) as error:
        svc.create_request(
            session,
            officer,
            **{
                "type": "access",
                "subject_name": "Maria",
                "subject_email": "m@example.com",
                "jurisdiction": "eu_gdpr",
                "received_on": date(2026, 3, 1),
                "today": TODAY,
                **overrides,
            },
        )
    session.rollback()
    assert error.value.field == field
    assert _rows(session) == before


def test_every_illegal_transition_is_refused(session, make_user) -> None:
    officer = make_user("privacy_officer")
    for current in STATUS_LABELS:
        for target in STATUS_LABELS:
            if target in TRANSITIONS[current]:
                continue
            request = new_request(session, officer, subject_email=f"{current}.{target}@example.com")
            session.execute(
                PrivacyRequest.__table__.update()
                .where(PrivacyRequest.id == request.id)
                .values(status=current)
            )
            session.commit()
            session.expire_all()
            before = _rows(session)
            with pytest.raises(ValidationError):
                svc.change_status(
                    session,
                    officer,
                    request_id=request.id,
                    expected_version=1,
                    status=target,
                    reason="because",
                )
            session.rollback()
            assert _rows(session) == before
            assert session.get(PrivacyRequest, request.id).status == current


def test_deny_needs_a_reason_and_gdpr_needs_appeal_information(session, make_user) -> None:
    officer = make_user("privacy_officer")
    request = new_request(session, officer)
    with pytest.raises(ValidationError) as no_reason:
        svc.change_status(session, officer, request_id=request.id, expected_version=1, status="denied")
    assert no_reason.value.field == "reason"
    with pytest.raises(ValidationError) as no_appeal:
        svc.change_status(
            session,
            officer,
            request_id=request.id,
            expected_version=1,
            status="denied",
            reason="Manifestly unfounded",
        )
    assert no_appeal.value.field == "appeal_info"
    session.rollback()
    denied = svc.change_status(
        session,
        officer,
        request_id=request.id,
        expected_version=1,
        status="denied",
        reason="Manifestly unfounded",
        appeal_info="Complain to your data authority.",
    )
    session.commit()
    assert denied.status == "denied" and denied.version == 2 and denied.completed_at is not None


def test_lgpd_denial_needs_no_appeal_text(session, make_user) -> None:
    officer = make_user("privacy_officer")
    request = new_request(session, officer, jurisdiction="lgpd")
    denied = svc.change_status(
        session,
        officer,
        request_id=request.id,
        expected_version=1,
        status="denied",
        reason="Identity could not be verified",
    )
    assert denied.appeal_info is None


def test_second_save_of_the_same_version_conflicts_and_writes_nothing(
    engine: Engine, session, make_user
) -> None:
    first, second = make_user("privacy_officer"), make_user("admin")
    request = new_request(session, first)
    with Session(engine, expire_on_commit=False) as other:
        svc.get_request(other, request.id)  # the second officer opens the same request at version 1
        svc.assign(session, first, request_id=request.id, expected_version=1, assignee_id=first.user_id)
        session.commit()
        before = _rows(session)
        with pytest.raises(ConflictError) as conflict:
            svc.add_note(other, second, request_id=request.id, expected_version=1, text="Called the subject.")
        other.rollback()
    assert "changed by" in str(conflict.value) and first.email in str(conflict.value)
    assert _rows(session) == before
    assert session.get(PrivacyRequest, request.id).version == 2


def test_save_change_refuses_a_stale_version_even_after_the_read_check(
    engine: Engine, session, make_user
) -> None:
    officer = make_user("privacy_officer")
    request = new_request(session, officer)
    with Session(engine, expire_on_commit=False) as other:
        stale = svc.load_for_change(other, request.id, 1)
        svc.add_note(session, officer, request_id=request.id, expected_version=1, text="first")
        session.commit()
        with pytest.raises(ConflictError):
            svc.save_change(other, officer, stale, 1, action="x", kind="note", changes={"notes": "lost"})
        other.rollback()
    session.expire_all()
    assert session.get(PrivacyRequest, request.id).notes == ""


def test_assignment_only_to_privacy_officers_and_admins(session, make_user) -> None:
    officer, manager = make_user("privacy_officer"), make_user("account_manager")
    request = new_request(session, officer)
    with pytest.raises(ValidationError) as error:
        svc.assign(session, officer, request_id=request.id, expected_version=1, assignee_id=manager.user_id)
    assert error.value.field == "assignee"
    session.rollback()
    assigned = svc.assign(
        session, officer, request_id=request.id, expected_version=1, assignee_id=officer.user_id
    )
    assert assigned.assignee_id == officer.user_id


def test_extension_once_with_reason_and_notice_in_time(session, make_user) -> None:
    officer = make_user("privacy_officer")
    request = new_request(session, officer, received_on=date(2026, 1, 31), today=date(2026, 2, 1))
    assert request.due_on == date(2026, 2, 28)
    with pytest.raises(ValidationError) as no_reason:
        svc.extend(
            session,
            officer,
            request_id=request.id,
            expected_version=1,
            reason="",
            notified_on=date(2026, 2, 10),
            today=date(2026, 2, 10),
        )
    assert no_reason.value.field == "extension_reason"
    with pytest.raises(ValidationError) as late:
        svc.extend(
            session,
            officer,
            request_id=request.id,
            expected_version=1,
            reason="Complex",
            notified_on=date(2026, 3, 1),
            today=date(2026, 3, 2),
        )
    assert late.value.field == "extension_notified_on"
    extended = svc.extend(
        session,
        officer,
        request_id=request.id,
        expected_version=1,
        reason="Many systems to search",
        notified_on=date(2026, 2, 10),
        today=date(2026, 2, 10),
    )
    session.commit()
    assert extended.due_on == date(2026, 4, 30) and extended.extended
    before = _rows(session)
    with pytest.raises(ValidationError, match="already extended"):
        svc.extend(
            session,
            officer,
            request_id=request.id,
            expected_version=2,
            reason="Again",
            notified_on=date(2026, 2, 11),
            today=date(2026, 2, 11),
        )
    session.rollback()
    assert _rows(session) == before


def test_lgpd_cannot_be_extended(session, make_user) -> None:
    officer = make_user("privacy_officer")
    request = new_request(session, officer, jurisdiction="lgpd")
    with pytest.raises(ValidationError, match="no extension"):
        svc.extend(
            session,
            officer,
            request_id=request.id,
            expected_version=1,
            reason="x",
            notified_on=date(2026, 3, 3),
            today=TODAY,
        )


def test_uk_identity_proof_restarts_the_clock(session, make_user) -> None:
    officer = make_user("privacy_officer")
    request = new_request(session, officer, jurisdiction="uk_gdpr", received_on=date(2026, 3, 2))
    assert request.due_on == date(2026, 4, 2)
    svc.change_status(
        session, officer, request_id=request.id, expected_version=1, status="verifying_identity"
    )
    with pytest.raises(ValidationError, match="Identity confirmed"):
        svc.change_status(session, officer, request_id=request.id, expected_version=2, status="in_progress")
    confirmed = svc.confirm_identity(
        session,
        officer,
        request_id=request.id,
        expected_version=2,
        received_on=date(2026, 3, 25),
        today=date(2026, 3, 26),
    )
    # 25 April 2026 is a Saturday → Monday 27 April.
    assert confirmed.status == "in_progress" and confirmed.due_on == date(2026, 4, 27)


def test_processor_request_needs_forwarding_and_the_clients_instruction(session, make_user) -> None:
    officer = make_user("privacy_officer")
    account = Account(company_name="Client Co", zendesk_subdomain="clientco")
    session.add(account)
    session.commit()
    request = new_request(
        session,
        officer,
        subject_kind="end_user",
        account_id=account.id,
        subject_email="requester@gmail.example",
    )
    assert request.is_processor and request.account_id == account.id
    with pytest.raises(ValidationError, match="client's instruction"):
        svc.change_status(session, officer, request_id=request.id, expected_version=1, status="in_progress")
    with pytest.raises(ValidationError, match="Forward"):
        svc.record_client_instruction(
            session, officer, request_id=request.id, expected_version=1, instruction="Delete it"
        )
    session.rollback()
    forwarded = svc.forward_to_client(
        session, officer, request_id=request.id, expected_version=1, note="Sent to their DPO"
    )
    assert forwarded.status == "awaiting_client" and forwarded.client_forwarded_at is not None
    instructed = svc.record_client_instruction(
        session,
        officer,
        request_id=request.id,
        expected_version=2,
        instruction="Please provide an export to us.",
    )
    session.commit()
    assert instructed.status == "in_progress" and instructed.client_instruction_at is not None
    kinds = [e.kind for e in svc.timeline(session, request.id)]
    assert kinds[:2] == ["client_instruction", "forwarded_to_client"]


def test_controller_request_cannot_be_forwarded(session, make_user) -> None:
    officer = make_user("privacy_officer")
    request = new_request(session, officer)
    with pytest.raises(ValidationError):
        svc.forward_to_client(session, officer, request_id=request.id, expected_version=1)


def test_open_request_of_same_type_and_email_is_a_likely_duplicate_and_merges(session, make_user) -> None:
    officer = make_user("privacy_officer")
    first = new_request(session, officer)
    other_type = new_request(session, officer, type="deletion")
    second = new_request(session, officer, subject_email="MARIA.COSTA@acme.example")
    assert [
        r.id
        for r in svc.likely_duplicates(
            session, type="access", email="maria.costa@acme.example", exclude_id=second.id
        )
    ] == [first.id]
    assert (
        svc.likely_duplicates(
            session, type="deletion", email="maria.costa@acme.example", exclude_id=other_type.id
        )
        == []
    )
    created = svc.timeline(session, second.id)[0]
    assert created.details["likely_duplicate_of"] == [first.id]
    with pytest.raises(ValidationError):
        svc.merge_duplicate(session, officer, request_id=second.id, expected_version=1, into_id=other_type.id)
    merged = svc.merge_duplicate(session, officer, request_id=second.id, expected_version=1, into_id=first.id)
    session.commit()
    assert merged.status == "withdrawn" and merged.merged_into_id == first.id
    assert svc.timeline(session, first.id)[0].kind == "duplicate_merged"
    assert (
        svc.likely_duplicates(session, type="access", email="maria.costa@acme.example", exclude_id=first.id)
        == []
    )


def _log_maria(session: Session, officer, *, sees_queue: bool, subject_email: str):
    """Maria Costa's access request, received the day after `new_request`'s, through the intake."""
    return log_request(
        session,
        officer,
        today=TODAY,
        sees_queue=sees_queue,
        type="access",
        subject_name="Maria Costa",
        subject_email=subject_email,
        jurisdiction="eu_gdpr",
        received_on=date(2026, 3, 3),
    )


@pytest.mark.parametrize(("sees_queue", "expected"), [(True, "the earlier one"), (False, "none")])
def test_the_intake_names_a_likely_duplicate_only_to_whoever_sees_the_queue(
    session, make_user, sees_queue, expected
) -> None:
    officer = make_user("privacy_officer")
    earlier = new_request(session, officer)
    logged = _log_maria(session, officer, sees_queue=sees_queue, subject_email="Maria.Costa@acme.example")
    assert logged.duplicate_ids == ((earlier.id,) if expected == "the earlier one" else ())
    assert logged.subject_name == "Maria Costa" and logged.due_on == date(2026, 4, 3)
    assert logged.jurisdiction_note.startswith("Jurisdiction: EU GDPR")


def test_a_refused_intake_names_no_duplicates_and_writes_nothing(session, make_user) -> None:
    officer = make_user("privacy_officer")
    new_request(session, officer)
    before = _rows(session)
    with pytest.raises(ValidationError) as error:
        _log_maria(session, officer, sees_queue=True, subject_email="maria.costa@")
    session.rollback()
    assert error.value.field == "subject_email"
    assert _rows(session) == before
