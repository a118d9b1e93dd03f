"""`remind privacy`: the digest reaches a real SMTP server (aiosmtpd on 127.0.0.1), once per request and
day, with the right requests in the right sections; failures are reported and retried."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select
from typer.testing import CliRunner

from dashboard.access.identity import Actor
from dashboard.cli import app
from dashboard.core.settings import reset_settings_cache
from dashboard.privacy import requests as svc
from models import PrivacyReminder, PrivacyRequest, SyncRun, User
from tests.privacy_helpers import new_request

NOW = datetime(2026, 3, 16, 7, 0, tzinfo=UTC)  # Monday; today = 16 March 2026 in UTC
runner = CliRunner()


class Inbox:
    """aiosmtpd handler: keeps every message; refuses recipients listed in `refuse`."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.Message]:
        return [m for m in self.messages if m["To"] == address]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(monkeypatch) -> Iterator[Inbox]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    monkeypatch.setenv("SMTP_FROM", "privacy-console@company.example")
    monkeypatch.setenv("SMTP_SECURITY", "none")
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def remind(engine, monkeypatch, tmp_path, freeze):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    reset_settings_cache()

    def invoke(*args: str, at: datetime = NOW):
        freeze(at)
        reset_settings_cache()
        return runner.invoke(app, ["remind", "privacy", *args])

    yield invoke
    reset_settings_cache()


def _body(message) -> str:
    return message.get_payload(decode=True).decode().replace("\r\n", "\n")


def _world(session: Session, make_user) -> dict[str, object]:
    """Two officers (one assignee) and requests in every digest situation, as of Monday 16 March 2026."""
    ana = make_user("privacy_officer", "ana@company.example")
    ben = make_user("privacy_officer", "ben@company.example")
    make_user("account_manager", "amy@company.example")  # never gets a digest
    today = date(2026, 3, 16)

    def add(received: date, **fields) -> PrivacyRequest:
        fields.setdefault("subject_email", f"s{received:%m%d}{len(fields)}@example.com")
        return new_request(session, ana, received_on=received, today=today, **fields)

    overdue = add(date(2026, 1, 30), jurisdiction="lgpd")  # due 14 Feb
    due_today = add(date(2026, 2, 14), jurisdiction="kvkk", subject_email="today@example.com")  # due 16 Mar
    due_soon = add(date(2026, 2, 18), jurisdiction="kvkk", subject_email="soon@example.com")  # due 20 Mar
    later = add(date(2026, 3, 10), jurisdiction="eu_gdpr", subject_email="later@example.com")  # 10 Apr
    ack = add(date(2026, 3, 9), jurisdiction="ccpa", subject_email="ack@example.com")  # ack by 23 Mar
    closed = add(date(2026, 1, 30), jurisdiction="lgpd", subject_email="closed@example.com")
    svc.change_status(session, ana, request_id=closed.id, expected_version=closed.version, status="withdrawn")
    waiting = add(
        date(2026, 3, 1),
        jurisdiction="eu_gdpr",
        subject_kind="end_user",
        account_id=_client(session),
        subject_email="enduser@example.com",
    )
    svc.forward_to_client(session, ana, request_id=waiting.id, expected_version=waiting.version)
    session.commit()
    waiting.client_forwarded_at = NOW - timedelta(days=9)
    session.add(waiting)
    # Ana is assigned the overdue one; everything else is unassigned and goes to both officers.
    svc.assign(session, ana, request_id=overdue.id, expected_version=overdue.version, assignee_id=ana.user_id)
    session.commit()
    return {
        "ana": ana,
        "ben": ben,
        "overdue": overdue,
        "due_today": due_today,
        "due_soon": due_soon,
        "later": later,
        "ack": ack,
        "closed": closed,
        "waiting": waiting,
    }


def _client(session: Session) -> int:
    from models import Account

    account = Account(company_name="Client Co", zendesk_subdomain="clientco")
    session.add(account)
    session.commit()
    return account.id


def _ids(body: str) -> set[int]:
    return {int(token[1:]) for token in body.split() if token.startswith("#") and token[1:].isdigit()}


def test_each_person_gets_one_digest_with_the_right_requests(remind, smtp, session, make_user) -> None:
    w = _world(session, make_user)
    result = remind()
    assert result.exit_code == 0, result.output
    assert {m["To"] for m in smtp.messages} == {"ana@company.example", "ben@company.example"}
    assert len(smtp.messages) == 2
    ana, ben = _body(smtp.to("ana@company.example")[0]), _body(smtp.to("ben@company.example")[0])
    unassigned = {w["due_today"].id, w["due_soon"].id, w["ack"].id, w["waiting"].id}
    assert _ids(ana) == unassigned | {w["overdue"].id}
    assert _ids(ben) == unassigned  # the assigned overdue request goes to its assignee only
    assert w["later"].id not in _ids(ana) and w["closed"].id not in _ids(ana)
    sections = ana.split("\n\n")
    by_title = {part.splitlines()[0]: part for part in sections if part.strip()}
    assert f"#{w['overdue'].id}" in by_title["Overdue (1)"]
    assert f"#{w['due_today'].id}" in by_title["Due today (1)"]
    assert f"#{w['due_soon'].id}" in by_title["Due within 7 days (1)"]
    assert "acknowledge by 23 Mar 2026" in by_title["Acknowledgements due (1)"]
    assert f"#{w['waiting'].id}" in by_title["Waiting for the client's instruction for more than 5 days (1)"]
    subject = smtp.to("ana@company.example")[0]["Subject"]
    assert subject.startswith("Privacy requests for 16 Mar 2026: 5 need you")
    assert smtp.to("ana@company.example")[0]["From"] == "privacy-console@company.example"


def test_nothing_is_sent_twice_the_same_day_but_again_the_next(remind, smtp, session, make_user) -> None:
    _world(session, make_user)
    assert remind().exit_code == 0
    assert remind(at=NOW + timedelta(hours=3)).exit_code == 0
    assert len(smtp.messages) == 2
    session.expire_all()
    rows = session.exec(select(PrivacyReminder)).all()
    assert rows and all(r.status == "sent" and r.sent_at is not None for r in rows)
    assert remind(at=NOW + timedelta(days=1)).exit_code == 0
    assert len(smtp.messages) == 4


def test_settings_change_the_windows(remind, smtp, session, make_user) -> None:
    w = _world(session, make_user)
    assert remind("--due-within-days", "30", "--client-wait-days", "10").exit_code == 0
    ben = _body(smtp.to("ben@company.example")[0])
    assert w["later"].id in _ids(ben)  # due 10 April: within 30 days
    assert "Due within 30 days" in ben and "Waiting for the client's instruction" not in ben  # 9 < 10 days


def test_a_refused_recipient_is_reported_and_retried_without_resending_the_others(
    remind, smtp, session, make_user
) -> None:
    w = _world(session, make_user)
    smtp.refuse.add("ben@company.example")
    result = remind()
    assert result.exit_code == 1
    assert "FAILED to ben@company.example" in result.output and "550" in result.output
    assert {m["To"] for m in smtp.messages} == {"ana@company.example"}
    session.expire_all()
    failed = session.exec(select(PrivacyReminder).where(PrivacyReminder.status == "failed")).all()
    assert {r.recipient for r in failed} == {"ben@company.example"}
    assert all("550" in r.error for r in failed)
    run = session.exec(select(SyncRun).where(SyncRun.kind == "privacy_reminders")).one()
    assert run.status == "partial" and "ben@company.example" in run.error
    smtp.refuse.clear()
    assert remind(at=NOW + timedelta(hours=1)).exit_code == 0
    assert [m["To"] for m in smtp.messages] == ["ana@company.example", "ben@company.example"]
    assert w["due_today"].id in _ids(_body(smtp.to("ben@company.example")[0]))
    session.expire_all()
    assert {
        r.attempts
        for r in session.exec(
            select(PrivacyReminder).where(PrivacyReminder.recipient == "ben@company.example")
        )
    } == {2}


def test_server_down_and_not_configured_are_reported(remind, smtp, session, make_user, monkeypatch) -> None:
    _world(session, make_user)
    monkeypatch.setenv("SMTP_PORT", str(_free_port()))  # nobody listens there
    result = remind()
    assert result.exit_code == 1 and "FAILED to ana@company.example" in result.output
    monkeypatch.setenv("SMTP_HOST", "")
    result = remind(at=NOW + timedelta(minutes=5))
    assert result.exit_code == 1 and "SMTP is not configured" in result.output
    assert not smtp.messages


def test_a_digest_left_sending_is_not_sent_again_but_reported(remind, smtp, session, make_user) -> None:
    w = _world(session, make_user)
    session.add(
        PrivacyReminder(
            day=date(2026, 3, 16),
            request_id=w["due_today"].id,
            recipient="ben@company.example",
            reason="due_today",
            status="sending",
            attempts=1,
        )
    )
    session.commit()
    result = remind()
    assert result.exit_code == 1 and "UNKNOWN for ben@company.example" in result.output
    assert w["due_today"].id not in _ids(_body(smtp.to("ben@company.example")[0]))


def test_inactive_assignee_falls_back_to_the_officers(remind, smtp, session, make_user) -> None:
    w = _world(session, make_user)
    user = session.get(User, w["ana"].user_id)
    user.active = False
    session.add(user)
    session.commit()
    assert remind().exit_code == 0
    assert [m["To"] for m in smtp.messages] == ["ben@company.example"]
    assert w["overdue"].id in _ids(_body(smtp.messages[0]))


def test_the_recipients_own_today(remind, smtp, session, make_user) -> None:
    w = _world(session, make_user)
    user = session.get(User, w["ben"].user_id)
    user.timezone = "Pacific/Honolulu"  # 07:00 UTC on the 16th is 21:00 on the 15th there
    session.add(user)
    session.commit()
    assert remind().exit_code == 0
    ben = _body(smtp.to("ben@company.example")[0])
    assert "Sunday 15 March 2026" in ben
    assert "Due today" not in ben  # the KVKK request is due on the 16th: tomorrow for Ben
    assert isinstance(w["ana"], Actor)
