"""Local sign-in with argon2 hashes, throttling and lockout; OIDC email-to-role mapping.

Every attempt, good or bad, is audited in the same transaction as the counters it changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, func, select

from dashboard import audit
from dashboard.identity import Actor
from dashboard.settings import get_settings
from models import User
from models.types import utcnow

_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class LoginResult:
    actor: Actor | None
    message: str
    # How long the caller should wait before answering, after its transaction has ended (sleeping
    # inside it would hold the store's write lock). Grows with consecutive failures: brute force is slow.
    delay_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.actor is not None


def find_user(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(func.lower(User.email) == email.strip().lower())).first()


def actor_for(user: User) -> Actor:
    return Actor(email=user.email, role=user.role, user_id=user.id, name=user.name)


def failure_delay(consecutive_failures: int) -> float:
    """Seconds to wait after a failed attempt: the base delay, doubled per further failure, capped."""
    settings = get_settings()
    exponent = min(max(consecutive_failures, 1) - 1, 6)
    return min(settings.login_failure_delay_seconds * 2**exponent, settings.login_failure_delay_max_seconds)


def login_with_password(
    session: Session, email: str, password: str, *, now: datetime | None = None
) -> LoginResult:
    """Check a local login. Lockout after `login_max_failures` failures for `login_lockout_minutes`."""
    settings = get_settings()
    now = now or utcnow()
    user = find_user(session, email)
    generic = "Wrong email or password."
    if user is None or user.password_hash is None:
        password_matches(_DUMMY_HASH, password)
        audit.record(
            session,
            Actor(email=email.strip().lower()[:320], role="unknown"),
            "login_failed",
            target_type="user",
            details={"reason": "unknown user"},
        )
        return LoginResult(None, generic, failure_delay(1))
    who = actor_for(user)
    if user.locked_until is not None and user.locked_until > now:
        audit.record(session, who, "login_refused_locked", target_type="user", target_id=user.id)
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        return LoginResult(
            None,
            f"Too many failed attempts. Try again in {minutes} minute(s).",
            failure_delay(settings.login_max_failures),
        )
    if not password_matches(user.password_hash, password):
        user.failed_logins += 1
        details = {"reason": "wrong password", "failures": user.failed_logins}
        message, delay = generic, failure_delay(user.failed_logins)
        if user.failed_logins >= settings.login_max_failures:
            user.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
            user.failed_logins = 0
            details["locked_until"] = user.locked_until.isoformat()
            message = f"Too many failed attempts. Locked for {settings.login_lockout_minutes} minutes."
        session.add(user)
        audit.record(session, who, "login_failed", target_type="user", target_id=user.id, details=details)
        return LoginResult(None, message, delay)
    if not user.active:
        audit.record(session, who, "login_refused_inactive", target_type="user", target_id=user.id)
        return LoginResult(None, "This account is deactivated. Ask an administrator.")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.add(user)
    audit.record(session, who, "login", target_type="user", target_id=user.id, details={"method": "password"})
    return LoginResult(who, "Signed in.")


def login_with_oidc_email(session: Session, email: str | None) -> LoginResult:
    """Map an OIDC identity's email to a console role; unknown or deactivated emails get no access."""
    if not email:
        return LoginResult(None, "Your identity provider did not share an email address.")
    user = find_user(session, email)
    if user is None:
        audit.record(
            session,
            Actor(email=email.lower()[:320], role="unknown"),
            "login_refused_unknown",
            details={"method": "oidc"},
        )
        return LoginResult(None, "No access: your email is not registered for this console.")
    who = actor_for(user)
    if not user.active:
        audit.record(
            session,
            who,
            "login_refused_inactive",
            target_type="user",
            target_id=user.id,
            details={"method": "oidc"},
        )
        return LoginResult(None, "No access: your account is deactivated.")
    user.last_login_at = utcnow()
    session.add(user)
    audit.record(session, who, "login", target_type="user", target_id=user.id, details={"method": "oidc"})
    return LoginResult(who, "Signed in.")


def record_logout(session: Session, actor: Actor) -> None:
    audit.record(session, actor, "logout", target_type="user", target_id=actor.user_id or "")


def refresh_actor(session: Session, actor: Actor) -> Actor | None:
    """The actor as the users table has them now: role changes and deactivation apply at once."""
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None or not user.active:
        return None
    return actor_for(user)
