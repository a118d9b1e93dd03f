"""The privacy pages under AppTest: roles, intake with bad input, the queue, the detail view, conflicts."""

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from dashboard.access.navigation import PAGES
from dashboard.core import clock
from dashboard.core.settings import PROJECT_ROOT
from dashboard.privacy import requests as svc
from models import AuditEvent, PrivacyRequest, PrivacyRequestEvent
from tests.privacy_helpers import add_account_with_contact, new_request

PRIVACY_PAGES = {
    spec.key: str(PROJECT_ROOT / spec.file)
    for spec in PAGES
    if spec.key in ("privacy", "privacy_intake", "privacy_reports")
}
QUEUE, INTAKE = PRIVACY_PAGES["privacy"], PRIVACY_PAGES["privacy_intake"]


def _request_count(engine: Engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(PrivacyRequest)).one()


def test_only_privacy_officers_and_admins_may_open_the_privacy_pages_but_account_managers_may_log() -> None:
    for spec in PAGES:
        if spec.key in PRIVACY_PAGES:
            expected = {"privacy_officer", "admin"} | (
                {"account_manager"} if spec.key == "privacy_intake" else set()
            )
            assert spec.roles == expected, spec.key
    privacy_section = [s.key for s in PAGES if s.section == "Privacy"]
    assert privacy_section[0] == "privacy"


STOPPED = [
    (role, page_file)
    for role in ("account_manager", "executive")
    for page_file in sorted(PRIVACY_PAGES.values())
    if not (role == "account_manager" and page_file == INTAKE)
]


@pytest.mark.parametrize(("role", "page_file"), STOPPED)
def test_other_roles_are_stopped(run_page, make_user, role, page_file) -> None:
    at = run_page(page_file, make_user(role))
    assert not at.exception
    assert any("cannot open" in e.value for e in at.error)
    assert not at.dataframe and not at.get("form")


@pytest.mark.parametrize("role", ["privacy_officer", "admin"])
@pytest.mark.parametrize("page_file", sorted(PRIVACY_PAGES.values()))
def test_privacy_roles_see_the_pages(run_page, make_user, session, role, page_file) -> None:
    actor = make_user(role)
    new_request(session, actor)
    at = run_page(page_file, actor)
    assert not at.exception, at.exception
    assert not at.error


def _fill_intake(at, **values):
    defaults = {"intake_name": "Maria Costa", "intake_email": "maria@example.com", "intake_notes": ""}
    defaults.update(values)
    for key, value in defaults.items():
        widget = (
            at.date_input(key)
            if key == "intake_received"
            else (at.text_area(key) if key == "intake_notes" else at.text_input(key))
        )
        widget.set_value(value)
    at.button[0].click()
    return at.run()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"intake_email": "maria-at-example"}, "valid email"),
        ({"intake_name": "  "}, "subject's name"),
        ({"intake_received": clock.today() + timedelta(days=30)}, "future"),
        ({"intake_notes": "n" * 10_000}, "10,000 characters"),
    ],
)
def test_intake_refuses_bad_input_next_to_the_field_and_writes_nothing(
    run_page, make_user, engine, values, message
) -> None:
    at = run_page(INTAKE, make_user("privacy_officer"))
    at = _fill_intake(at, **values)
    assert not at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert _request_count(engine) == 0
    # what was typed is still there to fix
    assert at.text_input("intake_name").value == values.get("intake_name", "Maria Costa")


def test_intake_logs_a_request_and_shows_a_script_name_as_plain_text(run_page, make_user, engine) -> None:
    at = run_page(INTAKE, make_user("privacy_officer"))
    at = _fill_intake(at, intake_name="<script>alert(1)</script>")
    assert not at.exception and not at.error
    assert _request_count(engine) == 1
    assert any("Request #1 logged" in s.value for s in at.success)
    assert any(t.value == "Subject: <script>alert(1)</script>" for t in at.text)
    assert not any("<script>" in m.value for m in at.markdown)
    assert at.text_input("intake_name").value == ""  # the form is empty for the next request


def _audit_rows(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == "privacy_request_created")).all())


def test_a_link_fills_the_intake_in_and_an_account_manager_logs_it(
    run_page, make_user, session, engine
) -> None:
    contact = add_account_with_contact(session)
    manager = make_user("account_manager")
    link = {"account": str(contact.account_id), "email": "Maria.Costa@acme.example", "kind": "deletion"}
    at = run_page(INTAKE, manager, query=link)
    assert not at.exception and not at.warning
    assert at.text_input("intake_name").value == "Maria Costa"  # the contact's name, not in the link
    assert at.text_input("intake_email").value == "maria.costa@acme.example"
    assert at.selectbox("intake_account").value == contact.account_id
    assert at.selectbox("intake_type").value == "deletion"
    assert _request_count(engine) == 0  # a link only fills the form in
    at.text_input("intake_name").set_value("Maria C. Costa")  # what is typed wins over the link
    at.button[0].click()
    at = at.run()
    assert not at.exception and not at.error
    with Session(engine) as s:
        logged = s.exec(select(PrivacyRequest)).one()
    assert (logged.type, logged.subject_name, logged.created_by) == (
        "deletion",
        "Maria C. Costa",
        manager.email,
    )
    assert logged.contact_id == contact.id
    assert [(row.actor, row.actor_role, row.target_id) for row in _audit_rows(engine)] == [
        (manager.email, "account_manager", str(logged.id))
    ]
    # logged, the form is empty for the next request, and the manager gets no way into the queue
    assert at.text_input("intake_name").value == "" and at.text_input("intake_email").value == ""
    assert not at.query_params.get("email")
    assert [b.label for b in at.button] == ["Log request"]


@pytest.mark.parametrize(("role", "warned"), [("privacy_officer", True), ("account_manager", False)])
def test_a_likely_duplicate_is_hinted_only_to_those_who_see_the_queue(
    run_page, make_user, session, engine, role, warned
) -> None:
    officer = make_user("privacy_officer")
    earlier = new_request(session, officer)
    at = run_page(INTAKE, officer if role == "privacy_officer" else make_user(role))
    at = _fill_intake(at, intake_email=earlier.subject_email)
    assert not at.exception and not at.error
    assert any("Request #2 logged" in s.value for s in at.success)
    hints = [w.value for w in at.warning if "duplicate" in w.value]
    hint = f"Likely duplicate of open request #{earlier.id}: same type, same email."
    assert hints == ([hint] if warned else [])
    # the officer still finds the duplicate from the new request, whoever logged it
    others = svc.likely_duplicates(session, type="access", email=earlier.subject_email, exclude_id=2)
    assert [d.id for d in others] == [earlier.id]


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ({"account": "1;drop"}, "account is not an account number"),
        ({"account": "999"}, "account #999, which does not exist"),
        ({"email": "<b>nobody</b>"}, "not a valid email address"),
        ({"kind": "everything"}, "request type is not one of Access"),
    ],
)
def test_a_garbled_link_is_ignored_with_a_message_and_writes_nothing(
    run_page, make_user, engine, link, message
) -> None:
    at = run_page(INTAKE, make_user("privacy_officer"), query=link)
    assert not at.exception
    assert len(at.warning) == 1 and message in at.warning[0].value, [w.value for w in at.warning]
    assert at.text_input("intake_email").value == "" and at.selectbox("intake_account").value is None
    assert at.selectbox("intake_type").value == "access"  # the form's own first choice
    assert _request_count(engine) == 0 and not _audit_rows(engine)


def test_queue_shows_overdue_first_and_filters_from_the_url(run_page, make_user, session) -> None:
    officer = make_user("privacy_officer")
    new_request(session, officer, received_on=date(2026, 3, 10))
    overdue = new_request(
        session, officer, jurisdiction="lgpd", received_on=date(2025, 2, 1), subject_email="old@example.com"
    )
    at = run_page(QUEUE, officer)
    frame = at.dataframe[0].value
    assert frame.iloc[0]["id"] == overdue.id and frame.iloc[0]["deadline"].startswith("overdue by")
    at = run_page(QUEUE, officer, query={"jurisdiction": "Brazil LGPD"})
    assert list(at.dataframe[0].value["id"]) == [overdue.id]


def test_queue_assignee_filter_keeps_the_officer_id_in_the_url(run_page, make_user, session) -> None:
    officer, other = make_user("privacy_officer"), make_user("admin")
    theirs = new_request(session, officer, subject_email="b@example.com")
    new_request(session, officer, subject_email="c@example.com")
    svc.assign(session, officer, request_id=theirs.id, expected_version=1, assignee_id=other.user_id)
    session.commit()
    at = run_page(QUEUE, officer, query={"assignee": str(other.user_id)})
    assert not at.exception and list(at.dataframe[0].value["id"]) == [theirs.id]
    assignee = at.selectbox(key="assignee")
    assert assignee.value == str(other.user_id) and assignee.options[0] == "Unassigned"
    assert at.query_params["assignee"] == str(other.user_id)
    assignee.set_value(None).run()
    assert "assignee" not in at.query_params and len(at.dataframe[0].value) == 2
    assert at.get("download_button")  # the calendar file is ready with the page


def test_detail_view_assigns_and_refuses_a_stale_save_keeping_the_typed_note(
    run_page, make_user, session, engine
) -> None:
    officer, other = make_user("privacy_officer"), make_user("admin")
    request = new_request(session, officer)
    at = run_page(QUEUE, officer, query={"id": str(request.id)})
    assert not at.exception
    at.text_area(f"note_text_{request.id}").set_value("Phoned the subject; they confirmed.")
    # the other officer saves first
    with Session(engine) as s:
        svc.assign(s, other, request_id=request.id, expected_version=1, assignee_id=other.user_id)
        s.commit()
    next(b for b in at.button if b.label == "Add note").click()
    at = at.run()
    assert any("changed by" in e.value for e in at.error)
    assert at.text_area(f"note_text_{request.id}").value == "Phoned the subject; they confirmed."
    assert any("Phoned the subject" in t.value for t in at.text)
    with Session(engine) as s:
        notes = s.exec(select(PrivacyRequestEvent).where(PrivacyRequestEvent.kind == "note")).all()
    assert notes == []
    # after looking at the latest version the same note saves
    next(b for b in at.button if b.label == "Show the latest version").click()
    at = at.run()
    next(b for b in at.button if b.label == "Add note").click()
    at = at.run()
    assert not at.error
    with Session(engine) as s:
        assert s.exec(select(PrivacyRequestEvent.text).where(PrivacyRequestEvent.kind == "note")).all() == [
            "Phoned the subject; they confirmed."
        ]


def test_detail_view_corrects_a_contact(run_page, make_user, session, engine) -> None:
    officer = make_user("privacy_officer")
    contact = add_account_with_contact(session)
    request = new_request(session, officer, type="correction")
    at = run_page(QUEUE, officer, query={"id": str(request.id)})
    at.text_input(f"correct_name_{request.id}_{contact.id}").set_value("Maria Costa-Silva")
    next(b for b in at.button if b.label == "Save correction").click()
    at = at.run()
    assert not at.exception and not at.error
    assert "corrected" in at.dataframe[-1].value.iloc[0]["what"]
