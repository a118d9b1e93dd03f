"""Console user management: add, change role, deactivate. The last active admin is protected."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, func, select

from dashboard.access import sessions
from dashboard.access.auth import find_user, hash_password
from dashboard.access.identity import Actor
from dashboard.core import audit
from dashboard.core.errors import PermissionDenied, ValidationError
from dashboard.presentation.columns import Column, Columns, Kind
from models import User
from models.system import ROLES

USER_COLUMNS: Columns = {
    "email": Column("Email"),
    "name": Column("Name"),
    "role": Column("Role", Kind.ENUM),
    "active": Column("Active", Kind.BOOL),
    "sign_in": Column("Sign-in"),
    "last_login_at": Column("Last sign-in", Kind.DATETIME),
    "locked_until": Column("Locked until", Kind.DATETIME),
    "created_at": Column("Added", Kind.DATETIME),
}

EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
MIN_PASSWORD_LENGTH = 12


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if len(email) > 320 or not EMAIL_RE.match(email):
        raise ValidationError("Enter a valid email address, like name@example.com.", field="email")
    return email


def _require_admin(actor: Actor) -> None:
    if actor.role not in ("admin", "system"):
        raise PermissionDenied("Only an admin can manage users.")


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError(f"Role must be one of: {', '.join(ROLES)}.", field="role")
    return role


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.email)).all())


def user_rows(session: Session) -> list[dict[str, Any]]:
    """Every user as a plain row for the Users table (no password hashes)."""
    return [
        {
            "id": u.id,
            "email": u.email,
            "name": u.name,
            "role": u.role,
            "active": u.active,
            "sign_in": "password or SSO" if u.password_hash else "SSO only",
            "last_login_at": u.last_login_at,
            "locked_until": u.locked_until,
            "created_at": u.created_at,
        }
        for u in list_users(session)
    ]


def active_admin_count(session: Session) -> int:
    return session.exec(
        select(func.count())
        .select_from(User)
        .where(
            User.role == "admin",
            User.active == True,  # noqa: E712
        )
    ).one()


def add_user(
    session: Session,
    actor: Actor,
    *,
    email: str,
    role: str,
    name: str = "",
    password: str | None = None,
) -> User:
    """Create a user; without a password the user can only sign in through OIDC."""
    _require_admin(actor)
    email = normalise_email(email)
    _check_role(role)
    if find_user(session, email) is not None:
        raise ValidationError("A user with this email already exists.", field="email")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"Use at least {MIN_PASSWORD_LENGTH} characters.", field="password")
    user = User(
        email=email,
        role=role,
        name=name.strip()[:200],
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "user_added",
        target_type="user",
        target_id=user.id,
        details={"email": email, "role": role},
    )
    return user


def _get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise ValidationError("No such user.", field="user")
    return user


def _would_remove_last_admin(session: Session, user: User) -> bool:
    return user.role == "admin" and user.active and active_admin_count(session) <= 1


def set_role(session: Session, actor: Actor, *, user_id: int, role: str) -> User:
    _require_admin(actor)
    _check_role(role)
    user = _get_user(session, user_id)
    if user.role == role:
        return user
    if role != "admin" and _would_remove_last_admin(session, user):
        raise ValidationError("This is the last active admin; make someone else admin first.", field="role")
    before = user.role
    user.role = role
    session.add(user)
    sessions.revoke_user_sessions(session, user.id)
    audit.record(
        session,
        actor,
        "user_role_changed",
        target_type="user",
        target_id=user.id,
        details={"from": before, "to": role},
    )
    return user


def set_active(session: Session, actor: Actor, *, user_id: int, active: bool) -> User:
    _require_admin(actor)
    user = _get_user(session, user_id)
    if user.active == active:
        return user
    if not active and _would_remove_last_admin(session, user):
        raise ValidationError("This is the last active admin; it cannot be deactivated.", field="active")
    user.active = active
    if active:
        user.failed_logins = 0
        user.locked_until = None
    else:
        sessions.revoke_user_sessions(session, user.id)
    session.add(user)
    audit.record(
        session,
        actor,
        "user_activated" if active else "user_deactivated",
        target_type="user",
        target_id=user.id,
    )
    return user


def get_profile(session: Session, actor: Actor) -> User:
    return _get_user(session, actor.user_id or 0)


def set_timezone(session: Session, actor: Actor, *, tz_name: str) -> User:
    from zoneinfo import available_timezones

    if tz_name not in available_timezones() and tz_name != "UTC":
        raise ValidationError("Choose a time zone from the list.", field="timezone")
    user = _get_user(session, actor.user_id or 0)
    user.timezone = tz_name
    session.add(user)
    audit.record(
        session,
        actor,
        "profile_timezone_changed",
        target_type="user",
        target_id=user.id,
        details={"timezone": tz_name},
    )
    return user


def change_password(
    session: Session,
    actor: Actor,
    *,
    current: str,
    new: str,
    repeat: str,
    keep_session_token: str | None = None,
) -> None:
    """Set a new password and end the user's other sessions (the one making the change may stay)."""
    from dashboard.access.auth import password_matches

    user = _get_user(session, actor.user_id or 0)
    if user.password_hash is None:
        raise ValidationError(
            "You sign in through your identity provider; there is no password here.", field="current"
        )
    if not password_matches(user.password_hash, current):
        raise ValidationError("The current password is wrong.", field="current")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"Use at least {MIN_PASSWORD_LENGTH} characters.", field="new")
    if new != repeat:
        raise ValidationError("The two new passwords differ.", field="repeat")
    user.password_hash = hash_password(new)
    session.add(user)
    sessions.revoke_user_sessions(session, user.id, keep_token=keep_session_token)
    audit.record(session, actor, "password_changed", target_type="user", target_id=user.id)
