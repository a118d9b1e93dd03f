"""Server-side sessions for local sign-in, so a reload or a shared link keeps the user signed in.

The browser holds a random token in a cookie; the store keeps only its SHA-256. A session ends after
`session_idle_minutes` without use (sliding), `session_lifetime_days` after sign-in, on sign-out, and
when an admin deactivates the user or changes their role, or the user changes their password.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, func, select

from dashboard.access import auth
from dashboard.access.identity import Actor
from dashboard.core import audit
from dashboard.core.settings import get_settings
from models import LoginSession, User
from models.types import utcnow

COOKIE_NAME = "console_session"
# last_seen_at is written at most this often, so ordinary reruns do not each write to the store.
_TOUCH_INTERVAL = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def lifetime_seconds() -> int:
    return get_settings().session_lifetime_days * 86_400


def create_session(
    session: Session, actor: Actor, *, user_agent: str = "", now: datetime | None = None
) -> str:
    """Start a session for a freshly signed-in actor; returns the token for the browser (never stored)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            user_id=actor.user_id,
            token_hash=hash_token(token),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(seconds=lifetime_seconds()),
            user_agent=user_agent[:200],
        )
    )
    return token


def _find(session: Session, token: str) -> LoginSession | None:
    return session.exec(select(LoginSession).where(LoginSession.token_hash == hash_token(token))).first()


def _live(row: LoginSession, now: datetime) -> bool:
    idle_limit = timedelta(minutes=get_settings().session_idle_minutes)
    return row.revoked_at is None and row.expires_at > now and row.last_seen_at + idle_limit > now


def resolve(session: Session, token: str, *, now: datetime | None = None) -> Actor | None:
    """The actor behind a live token, as the users table has them now; None if unknown or ended.

    One indexed lookup (the session by its token's hash, joined to its user): the shell makes it on
    every rerun.
    """
    now = now or utcnow()
    found = (
        session.exec(
            select(LoginSession, User)
            .join(User, col(User.id) == col(LoginSession.user_id))
            .where(LoginSession.token_hash == hash_token(token))
        ).first()
        if token
        else None
    )
    if found is None:
        return None
    row, user = found
    if not _live(row, now) or not user.active:
        return None
    actor = auth.actor_for(user)
    if now - row.last_seen_at >= _TOUCH_INTERVAL:
        row.last_seen_at = now
        session.add(row)
    return actor


def revoke(session: Session, token: str, *, now: datetime | None = None) -> bool:
    """End one session (sign-out). False if the token was unknown or already ended."""
    row = _find(session, token) if token else None
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now or utcnow()
    session.add(row)
    return True


def revoke_user_sessions(
    session: Session, user_id: int, *, keep_token: str | None = None, now: datetime | None = None
) -> int:
    """End every live session of a user (but `keep_token`'s); returns how many were ended."""
    statement = (
        update(LoginSession)
        .where(col(LoginSession.user_id) == user_id, col(LoginSession.revoked_at).is_(None))
        .values(revoked_at=now or utcnow())
    )
    if keep_token:
        statement = statement.where(col(LoginSession.token_hash) != hash_token(keep_token))
    return session.execute(statement).rowcount


def purge_ended_sessions(
    session: Session, actor: Actor, *, now: datetime | None = None, dry_run: bool = False
) -> int:
    """Delete sessions that can no longer be used (signed out, revoked, idle or past their lifetime).

    Sign-ins and sign-outs stay in the audit log, so nothing is lost; returns how many were deleted
    (a dry run: how many would be, and nothing is deleted or audited).
    """
    now = now or utcnow()
    idle_since = now - timedelta(minutes=get_settings().session_idle_minutes)
    ended = or_(
        col(LoginSession.revoked_at).is_not(None),
        col(LoginSession.expires_at) <= now,
        col(LoginSession.last_seen_at) <= idle_since,
    )
    if dry_run:
        return session.exec(select(func.count()).select_from(LoginSession).where(ended)).one()
    deleted = session.execute(delete(LoginSession).where(ended)).rowcount
    audit.record(
        session, actor, "sessions.purge", target_type="login_sessions", details={"deleted": deleted}, at=now
    )
    return deleted
