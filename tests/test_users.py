"""User management: the happy paths write one audit row; refusals write nothing at all."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from dashboard.access import users
from dashboard.core.errors import PermissionDenied, ValidationError
from models import AuditEvent, User


def _counts(session: Session) -> tuple[int, int]:
    session.rollback()
    return (
        session.exec(select(func.count()).select_from(User)).one(),
        session.exec(select(func.count()).select_from(AuditEvent)).one(),
    )


def _refused(session: Session, field: str, call) -> str:
    before = _counts(session)
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.field == field
    assert _counts(session) == before, "a refused change wrote something"
    return caught.value.message


def test_add_user_normalises_email_and_audits(session, make_user) -> None:
    admin = make_user("admin")
    user = users.add_user(session, admin, email="  New.Person@Example.COM ", role="executive", name="N P")
    session.commit()
    assert user.email == "new.person@example.com" and user.password_hash is None
    event = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.actor, event.target_id) == ("user_added", admin.email, str(user.id))
    assert event.details == {"email": "new.person@example.com", "role": "executive"}


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "no-at-sign",
        "a@b",
        "two@@example.com",
        "sp ace@example.com",
        "x@-bad-.com",
        "a" * 320 + "@example.com",
    ],
)
def test_invalid_email_is_refused(session, make_user, bad) -> None:
    admin = make_user("admin")
    message = _refused(session, "email", lambda: users.add_user(session, admin, email=bad, role="admin"))
    assert "valid email" in message


def test_duplicate_email_is_refused_whatever_its_case(session, make_user) -> None:
    admin = make_user("admin", email="taken@example.com")
    message = _refused(
        session, "email", lambda: users.add_user(session, admin, email="TAKEN@example.com ", role="executive")
    )
    assert "already exists" in message


def test_unknown_role_and_short_password_are_refused(session, make_user) -> None:
    admin = make_user("admin")
    _refused(session, "role", lambda: users.add_user(session, admin, email="a@example.com", role="root"))
    _refused(
        session,
        "password",
        lambda: users.add_user(session, admin, email="a@example.com", role="admin", password="short"),
    )


def test_only_admins_manage_users(session, make_user) -> None:
    manager = make_user("account_manager")
    before = _counts(session)
    with pytest.raises(PermissionDenied):
        users.add_user(session, manager, email="x@example.com", role="admin")
    with pytest.raises(PermissionDenied):
        users.set_role(session, manager, user_id=manager.user_id, role="admin")
    assert _counts(session) == before


def test_last_active_admin_cannot_be_demoted_or_deactivated(session, make_user) -> None:
    admin = make_user("admin")
    message = _refused(
        session, "role", lambda: users.set_role(session, admin, user_id=admin.user_id, role="executive")
    )
    assert "last active admin" in message
    _refused(session, "active", lambda: users.set_active(session, admin, user_id=admin.user_id, active=False))
    assert session.get(User, admin.user_id).role == "admin"


def test_an_inactive_admin_does_not_count_as_a_second_admin(session, make_user) -> None:
    admin = make_user("admin")
    other = make_user("admin")
    users.set_active(session, admin, user_id=other.user_id, active=False)
    session.commit()
    _refused(session, "role", lambda: users.set_role(session, admin, user_id=admin.user_id, role="executive"))


def test_with_a_second_admin_demotion_works_and_is_audited(session, make_user) -> None:
    admin = make_user("admin")
    make_user("admin")
    users.set_role(session, admin, user_id=admin.user_id, role="privacy_officer")
    session.commit()
    event = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.details) == ("user_role_changed", {"from": "admin", "to": "privacy_officer"})


def test_reactivation_clears_a_lock(session, make_user) -> None:
    from datetime import timedelta

    from models.types import utcnow

    admin = make_user("admin")
    member = make_user("executive")
    users.set_active(session, admin, user_id=member.user_id, active=False)
    user = session.get(User, member.user_id)
    user.locked_until, user.failed_logins = utcnow() + timedelta(minutes=5), 3
    session.commit()
    users.set_active(session, admin, user_id=member.user_id, active=True)
    session.commit()
    session.refresh(user)
    assert user.active and user.locked_until is None and user.failed_logins == 0
    actions = session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["user_deactivated", "user_activated"]


def test_unchanged_role_writes_no_audit_row(session, make_user) -> None:
    admin = make_user("admin")
    before = _counts(session)
    users.set_role(session, admin, user_id=admin.user_id, role="admin")
    session.commit()
    assert _counts(session) == before


def test_unknown_user_id_is_refused(session, make_user) -> None:
    admin = make_user("admin")
    _refused(session, "user", lambda: users.set_role(session, admin, user_id=99999, role="admin"))
