"""The app shell under AppTest: local password form, OIDC email mapping, audit rows."""

from __future__ import annotations

import re

import pytest
import streamlit as st
from sqlalchemy import Engine, event
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from dashboard.access import sessions, users
from dashboard.access.navigation import landing_page
from dashboard.core.settings import PROJECT_ROOT, reset_settings_cache
from models import AuditEvent
from tests.conftest import TEST_PASSWORD

APP = str(PROJECT_ROOT / "streamlit_app.py")


def _app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60)


def _sso_app(email: str) -> AppTest:
    at = _app()
    at.secrets["auth"] = {
        "client_id": "console",
        "client_secret": "s",
        "redirect_uri": "x/oauth2callback",
        "cookie_secret": "c" * 40,
        "server_metadata_url": "http://127.0.0.1:1/x",
    }
    at.user["is_logged_in"] = True
    at.user["email"] = email
    return at


def _actions(session: Session) -> list[str]:
    session.rollback()
    return list(session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all())


def test_password_form_signs_in(app_env, make_user, session) -> None:
    actor = make_user("privacy_officer")
    at = _app().run()
    assert [b.label for b in at.button] == ["Sign in"]
    at.text_input[0].input(actor.email)
    at.text_input[1].input(TEST_PASSWORD)
    at.button[0].click()
    at.run()
    assert not at.exception
    assert at.title[0].value == landing_page("privacy_officer").title
    assert [b.label for b in at.sidebar.button] == ["Sign out"]  # signing out: tests/browser
    assert _actions(session)[-1] == "login"


def test_wrong_password_shows_the_refusal(app_env, make_user) -> None:
    actor = make_user("admin")
    at = _app().run()
    at.text_input[0].input(actor.email)
    at.text_input[1].input("wrong")
    at.button[0].click()
    at.run()
    assert [e.value for e in at.error] == ["Wrong email or password."]
    assert "actor" not in at.session_state


def test_sso_known_email_signs_in_once(app_env, make_user, session) -> None:
    actor = make_user("executive", email="eve@example.com", password=None)
    at = _sso_app("Eve@Example.com").run()
    assert not at.exception
    assert at.title[0].value == landing_page("executive").title
    assert at.session_state["actor"] == actor
    at.run()
    assert _actions(session).count("login") == 1


def test_sso_unknown_email_sees_no_access_and_is_audited_once(app_env, make_user, session) -> None:
    make_user("admin")
    at = _sso_app("stranger@example.com").run()
    assert [e.value for e in at.error] == ["No access: your email is not registered for this console."]
    assert [b.label for b in at.button] == ["Sign out"]
    at.run()
    at.run()
    assert _actions(session).count("login_refused_unknown") == 1


def test_sso_deactivated_email_sees_no_access(app_env, make_user, session) -> None:
    from dashboard.access import users
    from dashboard.access.identity import SYSTEM

    make_user("admin")
    gone = make_user("account_manager", password=None)
    users.set_active(session, SYSTEM, user_id=gone.user_id, active=False)
    session.commit()
    at = _sso_app(gone.email).run()
    assert [e.value for e in at.error] == ["No access: your account is deactivated."]


def test_the_profile_time_zone_applies_from_sign_in(app_env, make_user, session) -> None:
    from dashboard.access import users

    actor = make_user("privacy_officer")
    users.set_timezone(session, actor, tz_name="Asia/Tokyo")
    session.commit()
    at = _app()
    at.session_state["actor"] = actor
    at.run()
    assert at.session_state["viewer_timezone"] == "Asia/Tokyo"


def _sign_in(at: AppTest, actor) -> AppTest:
    at.run()
    at.text_input[0].input(actor.email)
    at.text_input[1].input(TEST_PASSWORD)
    at.button[0].click()
    return at.run()


def test_sign_in_starts_a_session_and_sets_its_cookie(app_env, make_user, session) -> None:
    actor = make_user("admin")
    at = _sign_in(_app(), actor)
    token = at.session_state["session_token"]
    session.rollback()
    assert sessions.resolve(session, token) == actor
    scripts = [element.proto.body for element in at.get("html")]
    assert scripts == [
        f'<script>document.cookie = "console_session={token}; Path=/; SameSite=Strict; '
        f'Max-Age={sessions.lifetime_seconds()}";</script>'
    ]
    # Signing out (cookie expired, session revoked): tests/browser/test_session_cookie.py


def test_a_live_session_token_signs_the_tab_in_and_an_ended_one_does_not(app_env, make_user, session) -> None:
    """The path a reload takes (AppTest sends no cookies: the token is handed in as the cookie would be)."""
    admin, actor = make_user("admin"), make_user("account_manager")
    token = sessions.create_session(session, actor)
    session.commit()
    at = _app()
    at.session_state["session_token"] = token
    at.run()
    assert at.title[0].value == landing_page("account_manager").title
    assert at.session_state["actor"] == actor

    users.set_active(session, admin, user_id=actor.user_id, active=False)
    session.commit()
    at = _app()
    at.session_state["session_token"] = token
    at.run()
    assert [b.label for b in at.button] == ["Sign in"]
    assert "actor" not in at.session_state and "session_token" not in at.session_state
    assert 'console_session=; Path=/; SameSite=Strict; Max-Age=0"' in at.get("html")[0].proto.body


def test_only_the_demo_store_says_its_logins_are_in_the_readme(app_env, monkeypatch, tmp_path) -> None:
    at = _app().run()
    assert not at.info  # the test store is not the demo store
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "demo"))
    monkeypatch.setattr("dashboard.core.bootstrap.is_empty", lambda _engine: False)  # no seeding needed here
    reset_settings_cache()
    st.cache_resource.clear()
    at = _app().run()
    assert "Demo store — logins in the README." in [i.value for i in at.info]


def test_a_non_demo_store_without_its_audit_key_shows_why_and_nothing_else(app_env, monkeypatch) -> None:
    monkeypatch.delenv("AUDIT_KEY")
    reset_settings_cache()
    at = _app().run()
    assert not at.exception
    assert [e.value[:22] for e in at.error] == ["AUDIT_KEY is not set. "]
    assert not at.text_input and not at.button


def test_a_rerun_reads_the_sign_in_once_and_a_deactivation_applies_on_the_next(
    app_env, make_user, session
) -> None:
    """The shell's one store lookup per rerun (the session joined to its user); the page's role check
    takes that answer instead of reading the users table again, and the next rerun reads it afresh."""
    # An executive lands on the Overview, which reads no user (My accounts reads its owner's name).
    admin, actor = make_user("admin"), make_user("executive")
    token = sessions.create_session(session, actor)
    session.commit()
    at = _app()
    at.session_state["session_token"] = token
    at.run()
    sign_in_reads: list[str] = []

    def note(_conn, _cursor, statement: str, *_args) -> None:
        if "login_sessions" in statement or re.search(r"\busers\b", statement):
            sign_in_reads.append(statement)

    event.listen(Engine, "before_cursor_execute", note)
    try:
        at.run()
    finally:
        event.remove(Engine, "before_cursor_execute", note)
    assert not at.exception
    assert at.title[0].value == landing_page("executive").title
    assert len(sign_in_reads) == 1 and "JOIN users" in sign_in_reads[0]

    users.set_active(session, admin, user_id=actor.user_id, active=False)
    session.commit()
    at.run()
    assert [b.label for b in at.button] == ["Sign in"]
    assert "actor" not in at.session_state


def _current_url_path(at: AppTest) -> str:
    """The address the browser shows for the page that ran (AppTest keeps the navigation's pages)."""
    return at._registered_pages[at._finished_page_script_hash]["url_pathname"]


@pytest.mark.parametrize("role", ["account_manager", "privacy_officer", "executive", "admin"])
def test_the_root_address_opens_the_landing_page_at_its_own_address(app_env, make_user, role) -> None:
    """The sidebar marks the page that runs; "/" runs the hidden stand-in only to switch to the role's
    landing page, so the page marked is the one the user landed on."""
    at = _app()
    at.session_state["actor"] = make_user(role)
    at.run()
    assert not at.exception
    assert at.title[0].value == landing_page(role).title
    assert _current_url_path(at) == landing_page(role).key


def test_the_root_address_keeps_its_parameters_for_the_landing_page(app_env, make_user) -> None:
    at = _app()
    at.session_state["actor"] = make_user("executive")
    at.query_params["period"] = "90"
    at.run()
    assert not at.exception
    assert _current_url_path(at) == "overview"
    assert at.get("button_group")[0].value == 90
