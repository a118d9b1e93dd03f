"""Server-side sessions for local sign-in: tokens resolve, end on time, on sign-out and on admin changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, SQLModel, select

from dashboard.access import sessions, users
from dashboard.core.errors import ValidationError
from models import LoginSession
from models.types import utcnow
from tests.conftest import TEST_PASSWORD

NEW_PASSWORD = "a-brand-new-password"


def _start(session: Session, actor, **kwargs) -> str:
    token = sessions.create_session(session, actor, user_agent="pytest", **kwargs)
    session.commit()
    return token


def test_token_resolves_to_the_user_and_only_its_hash_is_stored(session, make_user) -> None:
    actor = make_user("privacy_officer")
    token = _start(session, actor)
    assert sessions.resolve(session, token) == actor
    assert sessions.resolve(session, token + "x") is None
    assert sessions.resolve(session, "") is None
    row = session.exec(select(LoginSession)).one()
    assert row.token_hash == sessions.hash_token(token) != token
    for table in SQLModel.metadata.sorted_tables:  # the raw token is nowhere in the store
        for values in session.execute(text(f'SELECT * FROM "{table.name}"')):
            assert not any(token in str(value) for value in values), table.name


def test_two_sign_ins_get_different_tokens(session, make_user) -> None:
    actor = make_user("admin")
    assert _start(session, actor) != _start(session, actor)


def test_idle_timeout_slides_with_use(session, make_user) -> None:
    actor = make_user("executive")
    start = utcnow()
    token = _start(session, actor, now=start)
    seven_hours = start + timedelta(hours=7)
    assert sessions.resolve(session, token, now=seven_hours) == actor  # counts as use
    session.commit()
    assert sessions.resolve(session, token, now=seven_hours + timedelta(hours=7)) == actor
    session.commit()
    assert sessions.resolve(session, token, now=seven_hours + timedelta(hours=15, minutes=1)) is None


def test_idle_session_is_refused(session, make_user) -> None:
    actor = make_user("executive")
    start = utcnow()
    token = _start(session, actor, now=start)
    assert sessions.resolve(session, token, now=start + timedelta(hours=8, seconds=1)) is None


def test_absolute_lifetime_ends_even_a_busy_session(session, make_user) -> None:
    actor = make_user("account_manager")
    start = utcnow()
    token = _start(session, actor, now=start)
    now = start
    while now < start + timedelta(days=7) - timedelta(hours=4):
        now += timedelta(hours=4)
        assert sessions.resolve(session, token, now=now) == actor
        session.commit()
    assert sessions.resolve(session, token, now=start + timedelta(days=7, seconds=1)) is None


def test_sign_out_revokes_only_that_session(session, make_user) -> None:
    actor = make_user("admin")
    laptop, phone = _start(session, actor), _start(session, actor)
    assert sessions.revoke(session, laptop) is True
    session.commit()
    assert sessions.resolve(session, laptop) is None
    assert sessions.resolve(session, phone) == actor
    assert sessions.revoke(session, laptop) is False  # already ended


def test_deactivated_user_is_refused_and_sessions_end(session, make_user) -> None:
    admin, actor = make_user("admin"), make_user("account_manager")
    token = _start(session, actor)
    users.set_active(session, admin, user_id=actor.user_id, active=False)
    session.commit()
    assert sessions.resolve(session, token) is None
    users.set_active(session, admin, user_id=actor.user_id, active=True)
    session.commit()
    assert sessions.resolve(session, token) is None  # reactivation does not revive old sessions
    row = session.exec(select(LoginSession)).one()
    assert row.revoked_at is not None


def test_role_change_ends_sessions_and_a_new_sign_in_has_the_new_role(session, make_user) -> None:
    admin, actor = make_user("admin"), make_user("account_manager")
    token = _start(session, actor)
    users.set_role(session, admin, user_id=actor.user_id, role="executive")
    session.commit()
    assert sessions.resolve(session, token) is None
    assert sessions.resolve(session, _start(session, actor)).role == "executive"


def test_refused_role_change_leaves_sessions_alone(session, make_user) -> None:
    admin = make_user("admin")
    token = _start(session, admin)
    with pytest.raises(ValidationError):
        users.set_role(session, admin, user_id=admin.user_id, role="executive")  # the last admin
    session.rollback()
    assert sessions.resolve(session, token) == admin


def test_password_change_ends_the_other_sessions(session, make_user) -> None:
    actor = make_user("privacy_officer")
    here, elsewhere = _start(session, actor), _start(session, actor)
    other_user_token = _start(session, make_user("privacy_officer"))
    users.change_password(
        session, actor, current=TEST_PASSWORD, new=NEW_PASSWORD, repeat=NEW_PASSWORD, keep_session_token=here
    )
    session.commit()
    assert sessions.resolve(session, here) == actor
    assert sessions.resolve(session, elsewhere) is None
    assert sessions.resolve(session, other_user_token) is not None


def test_purge_deletes_only_sessions_that_have_ended(session, make_user) -> None:
    admin = make_user("admin")
    start = utcnow()
    signed_out, idle, _expired, live = (
        _start(session, admin, now=start - timedelta(days=age)) for age in (0, 0, 8, 0)
    )
    sessions.revoke(session, signed_out)
    row_of = {
        token: session.exec(
            select(LoginSession).where(LoginSession.token_hash == sessions.hash_token(token))
        ).one()
        for token in (idle, live)
    }
    row_of[idle].last_seen_at = start - timedelta(hours=9)
    session.add(row_of[idle])
    session.commit()
    assert sessions.purge_ended_sessions(session, admin, now=start) == 3
    session.commit()
    assert [row.token_hash for row in session.exec(select(LoginSession))] == [sessions.hash_token(live)]
    assert sessions.resolve(session, live, now=start) == admin
    assert sessions.purge_ended_sessions(session, admin, now=start) == 0
