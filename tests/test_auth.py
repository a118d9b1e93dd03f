"""Local sign-in (argon2, throttling, lockout), OIDC email mapping, and the audit rows they leave."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest
from sqlmodel import Session, select

from dashboard import auth, users
from dashboard.identity import SYSTEM
from dashboard.settings import get_settings, reset_settings_cache
from models import AuditEvent, User
from models.types import utcnow
from tests.conftest import TEST_PASSWORD


def _actions(session: Session) -> list[str]:
    return list(session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all())


def _fail(session: Session, email: str, times: int, now=None) -> auth.LoginResult:
    result = None
    for _ in range(times):
        result = auth.login_with_password(session, email, "wrong password!", now=now)
        session.commit()
    return result


def test_right_password_signs_in_and_is_audited(session, make_user) -> None:
    actor = make_user("privacy_officer", email="Pia@Example.com")
    result = auth.login_with_password(session, "  pia@example.COM ", TEST_PASSWORD)
    session.commit()
    assert result.ok and result.actor == actor and result.delay_seconds == 0
    assert session.get(User, actor.user_id).last_login_at is not None
    assert _actions(session)[-1] == "login"


def test_password_is_stored_as_argon2_hash(session, make_user) -> None:
    actor = make_user("admin")
    stored = session.get(User, actor.user_id).password_hash
    assert stored.startswith("$argon2") and TEST_PASSWORD not in stored


def test_wrong_password_is_refused_counted_and_audited_without_the_password(session, make_user) -> None:
    actor = make_user("admin")
    result = _fail(session, actor.email, 1)
    assert not result.ok and result.message == "Wrong email or password."
    assert session.get(User, actor.user_id).failed_logins == 1
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "login_failed")).one()
    assert event.target_id == str(actor.user_id) and "wrong password!" not in str(event.details)


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(session) -> None:
    result = auth.login_with_password(session, "nobody@example.com", "whatever")
    session.commit()
    assert not result.ok and result.message == "Wrong email or password."
    assert result.delay_seconds > 0
    assert _actions(session) == ["login_failed"]


def test_lockout_after_repeated_failures_even_with_the_right_password(session, make_user) -> None:
    actor = make_user("executive")
    limit = get_settings().login_max_failures
    last = _fail(session, actor.email, limit)
    assert "Locked for" in last.message
    user = session.get(User, actor.user_id)
    session.refresh(user)
    assert user.locked_until is not None
    result = auth.login_with_password(session, actor.email, TEST_PASSWORD)
    session.commit()
    assert not result.ok and "Too many failed attempts" in result.message
    assert _actions(session)[-1] == "login_refused_locked"


def test_lock_ends_after_the_lockout_period(session, make_user) -> None:
    actor = make_user("executive")
    settings = get_settings()
    _fail(session, actor.email, settings.login_max_failures)
    still_locked = utcnow() + timedelta(minutes=settings.login_lockout_minutes - 1)
    assert not auth.login_with_password(session, actor.email, TEST_PASSWORD, now=still_locked).ok
    later = utcnow() + timedelta(minutes=settings.login_lockout_minutes, seconds=5)
    result = auth.login_with_password(session, actor.email, TEST_PASSWORD, now=later)
    session.commit()
    assert result.ok
    user = session.get(User, actor.user_id)
    session.refresh(user)
    assert user.locked_until is None and user.failed_logins == 0


def test_success_resets_the_failure_count(session, make_user) -> None:
    actor = make_user("admin")
    _fail(session, actor.email, get_settings().login_max_failures - 1)
    assert auth.login_with_password(session, actor.email, TEST_PASSWORD).ok
    session.commit()
    _fail(session, actor.email, get_settings().login_max_failures - 1)
    assert session.get(User, actor.user_id).locked_until is None


def test_failure_delay_grows_with_consecutive_failures_and_is_capped(session, make_user) -> None:
    actor = make_user("admin")
    delays = [_fail(session, actor.email, 1).delay_seconds for _ in range(get_settings().login_max_failures)]
    assert delays[0] > 0
    assert all(b >= a for a, b in pairwise(delays)) and delays[-1] > delays[0]
    assert auth.failure_delay(1000) == get_settings().login_failure_delay_max_seconds


def test_failure_delay_follows_settings(monkeypatch) -> None:
    monkeypatch.setenv("LOGIN_FAILURE_DELAY_SECONDS", "0.25")
    monkeypatch.setenv("LOGIN_FAILURE_DELAY_MAX_SECONDS", "1")
    reset_settings_cache()
    try:
        assert [auth.failure_delay(n) for n in (1, 2, 3, 4)] == [0.25, 0.5, 1.0, 1.0]
    finally:
        monkeypatch.undo()
        reset_settings_cache()


def test_deactivated_user_cannot_sign_in(session, make_user) -> None:
    make_user("admin")
    actor = make_user("account_manager")
    users.set_active(session, SYSTEM, user_id=actor.user_id, active=False)
    session.commit()
    result = auth.login_with_password(session, actor.email, TEST_PASSWORD)
    session.commit()
    assert not result.ok and "deactivated" in result.message
    assert _actions(session)[-1] == "login_refused_inactive"


def test_deactivated_user_loses_an_open_session(session, make_user) -> None:
    actor = make_user("account_manager")
    assert auth.refresh_actor(session, actor) == actor
    users.set_role(session, SYSTEM, user_id=actor.user_id, role="executive")
    session.commit()
    assert auth.refresh_actor(session, actor).role == "executive"
    users.set_active(session, SYSTEM, user_id=actor.user_id, active=False)
    session.commit()
    assert auth.refresh_actor(session, actor) is None


@pytest.mark.parametrize("typed", ["Known@Example.com", "known@example.com"])
def test_oidc_known_email_maps_to_its_role(session, make_user, typed) -> None:
    actor = make_user("privacy_officer", email="known@example.com", password=None)
    result = auth.login_with_oidc_email(session, typed)
    session.commit()
    assert result.ok and result.actor == actor
    event = session.exec(select(AuditEvent)).all()[-1]
    assert (event.action, event.details) == ("login", {"method": "oidc"})


def test_oidc_unknown_email_has_no_access(session, make_user) -> None:
    make_user("admin")
    result = auth.login_with_oidc_email(session, "stranger@example.com")
    session.commit()
    assert not result.ok and result.message.startswith("No access")
    assert _actions(session)[-1] == "login_refused_unknown"


def test_oidc_deactivated_email_has_no_access(session, make_user) -> None:
    make_user("admin")
    actor = make_user("executive", password=None)
    users.set_active(session, SYSTEM, user_id=actor.user_id, active=False)
    session.commit()
    result = auth.login_with_oidc_email(session, actor.email)
    assert not result.ok and "deactivated" in result.message


def test_oidc_without_email_has_no_access(session) -> None:
    assert not auth.login_with_oidc_email(session, None).ok


def test_sso_only_user_cannot_use_a_password(session, make_user) -> None:
    actor = make_user("executive", password=None)
    assert not auth.login_with_password(session, actor.email, "").ok
