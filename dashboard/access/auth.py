"""Local sign-in with argon2 hashes, throttling and lockout; OIDC email-to-role mapping.

Every attempt, good or bad, is audited in the same transaction as the counters it changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, and_, case, delete, or_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, func, select

from dashboard.access.identity import Actor
from dashboard.core import audit
from dashboard.core.settings import get_settings
from models import LoginThrottle, User
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


GENERIC_REFUSAL = "Wrong email or password."


@dataclass(frozen=True)
class _Counter:
    """The failure counter an attempt charges: the user's row, or a throttle row for an email with no
    local account. Both are counted and locked the same way, so the answers cannot tell them apart."""

    model: type[User] | type[LoginThrottle]
    where: ColumnElement[bool]


def email_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _counter_for(session: Session, user: User | None, email: str) -> _Counter:
    if user is not None:
        return _Counter(User, User.id == user.id)
    key = email_key(email)
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    session.execute(insert(LoginThrottle).values(email_hash=key, failed_logins=0).on_conflict_do_nothing())
    return _Counter(LoginThrottle, LoginThrottle.email_hash == key)


def _not_locked(model: type[User] | type[LoginThrottle], now: datetime) -> ColumnElement[bool]:
    return or_(col(model.locked_until).is_(None), col(model.locked_until) <= now)


def _starts_a_new_streak(model: type[User] | type[LoginThrottle], now: datetime) -> ColumnElement[bool]:
    """The next failure counts as the first: a lock has ended since, or the last failure is past the
    window (or was never timed)."""
    window_start = now - timedelta(minutes=get_settings().login_failure_window_minutes)
    return or_(
        col(model.locked_until).is_not(None),
        col(model.last_failed_at).is_(None),
        col(model.last_failed_at) < window_start,
    )


def _reserve_attempt(session: Session, counter: _Counter, now: datetime) -> int | None:
    """Count this attempt before its password is checked, atomically: the number of consecutive failures
    including this one, or None while the counter is locked. The update holds the row's lock (the write
    lock on SQLite) until the caller commits, so parallel attempts are counted one after the other and
    no more than `login_max_failures` passwords are ever checked before the lock."""
    model = counter.model
    streak = case((_starts_a_new_streak(model, now), 1), else_=model.failed_logins + 1)
    statement = (
        update(model)
        .where(counter.where, _not_locked(model, now))
        .values(failed_logins=streak, locked_until=None, last_failed_at=now)
        .returning(model.failed_logins)
    )
    return session.execute(statement).scalar_one_or_none()


def purge_login_throttles(session: Session, actor: Actor, *, now: datetime, dry_run: bool = False) -> int:
    """Delete the throttle rows that no longer change any answer: not locked, and their next failure
    would count as the first anyway (lock ended, or last failure past LOGIN_FAILURE_WINDOW_MINUTES), so
    the email is answered exactly as one never tried. Returns how many (a dry run deletes and audits
    nothing)."""
    lapsed = and_(_not_locked(LoginThrottle, now), _starts_a_new_streak(LoginThrottle, now))
    if dry_run:
        return session.exec(select(func.count()).select_from(LoginThrottle).where(lapsed)).one()
    deleted = session.execute(delete(LoginThrottle).where(lapsed)).rowcount
    audit.record(
        session, actor, "login_throttles.purge", target_type="login_throttles", details={"deleted": deleted}
    )
    return deleted


def _set_counter(session: Session, counter: _Counter, **values: object) -> None:
    session.execute(update(counter.model).where(counter.where).values(**values))


def _locked_until(session: Session, counter: _Counter) -> datetime:
    return session.execute(select(counter.model.locked_until).where(counter.where)).scalar_one()


def login_with_password(
    session: Session, email: str, password: str, *, now: datetime | None = None
) -> LoginResult:
    """Check a local login. Lockout after `login_max_failures` failures for `login_lockout_minutes`.

    An unknown email, an SSO-only user and a deactivated user with the right password all get the same
    answer, wait and lockout as a wrong password: nothing tells whether an account exists or a password
    was right, except a successful sign-in.
    """
    settings = get_settings()
    now = now or utcnow()
    user = find_user(session, email)
    who = actor_for(user) if user is not None else Actor(email=email.strip().lower()[:320], role="unknown")
    target = user.id if user is not None else ""
    counter = _counter_for(session, user, email)
    failures = _reserve_attempt(session, counter, now)
    if failures is None:
        audit.record(session, who, "login_refused_locked", target_type="user", target_id=target)
        minutes = max(1, int((_locked_until(session, counter) - now).total_seconds() // 60) + 1)
        return LoginResult(
            None,
            f"Too many failed attempts. Try again in {minutes} minute(s).",
            failure_delay(settings.login_max_failures),
        )
    password_hash = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    right = password_matches(password_hash, password) and password_hash is not _DUMMY_HASH
    if right and user.active:
        _set_counter(session, counter, failed_logins=0, locked_until=None, last_failed_at=None)
        user.last_login_at = now
        session.add(user)
        audit.record(
            session, who, "login", target_type="user", target_id=user.id, details={"method": "password"}
        )
        return LoginResult(who, "Signed in.")
    return _refuse(session, counter, who, target, failures=failures, reason=_reason(user, right), now=now)


def _reason(user: User | None, right_password: bool) -> str:
    if user is None or user.password_hash is None:
        return "unknown user"
    return "deactivated" if right_password else "wrong password"


def _refuse(
    session: Session,
    counter: _Counter,
    who: Actor,
    target: str | int,
    *,
    failures: int,
    reason: str,
    now: datetime,
) -> LoginResult:
    settings = get_settings()
    details: dict[str, object] = {"reason": reason, "failures": failures}
    message = GENERIC_REFUSAL
    if failures >= settings.login_max_failures:
        locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
        _set_counter(session, counter, locked_until=locked_until)
        details["locked_until"] = locked_until.isoformat()
        message = f"Too many failed attempts. Locked for {settings.login_lockout_minutes} minutes."
    action = "login_refused_inactive" if reason == "deactivated" else "login_failed"
    audit.record(session, who, action, target_type="user", target_id=target, details=details)
    return LoginResult(None, message, failure_delay(failures))


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
