"""Local sign-in (argon2, throttling, lockout), OIDC email mapping, and the audit rows they leave."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from itertools import pairwise

import pytest
from sqlmodel import Session, func, select

from dashboard.access import auth, users
from dashboard.access.identity import SYSTEM
from dashboard.core.settings import get_settings, reset_settings_cache
from models import AuditEvent, LoginThrottle, User
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


def _answers(session: Session, email: str, password: str, times: int) -> list[tuple[str, float]]:
    answers = []
    for _ in range(times):
        result = auth.login_with_password(session, email, password)
        session.commit()
        answers.append((result.message, result.delay_seconds))
    return answers


def test_unknown_and_known_emails_get_identical_answers_waits_and_lockout(session, make_user) -> None:
    make_user("admin")
    known = make_user("executive")
    sso_only = make_user("executive", password=None)
    deactivated = make_user("account_manager")
    users.set_active(session, SYSTEM, user_id=deactivated.user_id, active=False)
    session.commit()
    times = get_settings().login_max_failures + 2
    expected = _answers(session, known.email, "wrong password!", times)
    assert "Locked for" in expected[times - 3][0] and "Try again in" in expected[-1][0]
    assert len({delay for _message, delay in expected}) > 1  # the waits grow
    assert _answers(session, "nobody@example.com", "wrong password!", times) == expected
    assert _answers(session, sso_only.email, "wrong password!", times) == expected
    assert _answers(session, deactivated.email, TEST_PASSWORD, times) == expected


def test_parallel_wrong_passwords_are_all_counted_and_lock_the_account(engine, session, make_user) -> None:
    actor = make_user("executive")
    limit = get_settings().login_max_failures

    def attempt(_: int) -> str:
        with Session(engine) as own:
            result = auth.login_with_password(own, actor.email, "wrong password!")
            own.commit()
            return result.message

    with ThreadPoolExecutor(max_workers=10) as pool:
        messages = list(pool.map(attempt, range(20)))
    user = session.get(User, actor.user_id)
    session.refresh(user)
    checked = session.exec(
        select(func.count()).where(AuditEvent.action == "login_failed", AuditEvent.target_id == str(user.id))
    ).one()
    refused = session.exec(select(func.count()).where(AuditEvent.action == "login_refused_locked")).one()
    assert user.locked_until is not None and user.locked_until > utcnow()
    assert user.failed_logins == checked == limit  # every checked password counted; no more were checked
    assert refused == 20 - limit and len(messages) == 20
    assert not auth.login_with_password(session, actor.email, TEST_PASSWORD).ok


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
    # The same answer as a wrong password: a deactivated account does not confirm its password.
    assert not result.ok and result.message == auth.GENERIC_REFUSAL and result.delay_seconds > 0
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


def _throttle_hashes(session: Session) -> set[str]:
    session.rollback()
    return set(session.exec(select(LoginThrottle.email_hash)).all())


def _answers_at(session: Session, email: str, now, times: int) -> list[tuple[str, float]]:
    answers = []
    for _ in range(times):
        result = auth.login_with_password(session, email, "wrong password!", now=now)
        session.commit()
        answers.append((result.message, result.delay_seconds))
    return answers


def test_failures_older_than_the_window_lapse_for_users_and_unknown_emails_alike(session, make_user) -> None:
    known = make_user("executive")
    settings = get_settings()
    now = utcnow()
    almost = settings.login_max_failures - 1
    for email in (known.email, "nobody@example.com"):
        _fail(session, email, almost, now=now)
    later = now + timedelta(minutes=settings.login_failure_window_minutes, seconds=1)
    # Within the window the next failure would lock; past it, it counts as the first again.
    first_again = _answers_at(session, known.email, later, 1)
    assert first_again == [(auth.GENERIC_REFUSAL, auth.failure_delay(1))]
    assert _answers_at(session, "nobody@example.com", later, 1) == first_again
    user = session.get(User, known.user_id)
    session.refresh(user)
    assert (user.failed_logins, user.locked_until, user.last_failed_at) == (1, None, later)


def test_purge_login_throttles_deletes_only_rows_that_no_longer_change_an_answer(session) -> None:
    settings = get_settings()
    now = utcnow()
    window, lockout = settings.login_failure_window_minutes, settings.login_lockout_minutes
    _fail(session, "recent@example.com", 2, now=now)  # kept: two more would lock
    _fail(session, "locked@example.com", settings.login_max_failures, now=now)  # kept: locked now
    _fail(session, "old@example.com", 2, now=now - timedelta(minutes=window + 1))  # lapsed
    lock_ended = now - timedelta(minutes=lockout + 1)
    _fail(session, "lock-over@example.com", settings.login_max_failures, now=lock_ended)  # lock ended
    everyone = _throttle_hashes(session)
    audited = len(_actions(session))

    assert auth.purge_login_throttles(session, SYSTEM, now=now, dry_run=True) == 2
    session.commit()
    assert _throttle_hashes(session) == everyone and len(_actions(session)) == audited

    assert auth.purge_login_throttles(session, SYSTEM, now=now) == 2
    session.commit()
    kept = {auth.email_key("recent@example.com"), auth.email_key("locked@example.com")}
    assert _throttle_hashes(session) == kept
    purge = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (purge.action, purge.details) == ("login_throttles.purge", {"deleted": 2})
    # A purged email is answered exactly as one never tried, through to the lockout.
    times = settings.login_max_failures + 1
    never_tried = _answers_at(session, "fresh@example.com", now, times)
    assert _answers_at(session, "old@example.com", now, times) == never_tried
    assert _answers_at(session, "lock-over@example.com", now, times) == never_tried
