"""Zendesk connections: the Zendesk accounts the company holds API credentials for (admin only).

Tokens are stored encrypted (dashboard.core.secret_box) and never returned: views carry `has_token` only,
and audit rows name the fields that changed, never their secret values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from dashboard.access.identity import Actor
from dashboard.access.users import normalise_email
from dashboard.core import audit
from dashboard.core.errors import PermissionDenied, ValidationError
from dashboard.core.secret_box import SecretUnreadable, decrypt_secret, encrypt_secret
from models import ZendeskConnection

SUBDOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
MIN_TOKEN_LENGTH = 8


@dataclass(frozen=True)
class ConnectionView:
    """A connection as the UI may show it: no token."""

    id: int
    subdomain: str
    email: str
    enabled: bool
    has_token: bool
    last_synced_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class ConnectionCredentials:
    id: int
    subdomain: str
    email: str
    token: str | None  # None: stored with another secret key, must be entered again


def _require_admin(actor: Actor) -> None:
    if actor.role not in ("admin", "system"):
        raise PermissionDenied("Only an admin can manage Zendesk connections.")


def normalise_subdomain(subdomain: str) -> str:
    value = (subdomain or "").strip().lower().removeprefix("https://").removesuffix("/")
    value = value.removesuffix(".zendesk.com")
    if not SUBDOMAIN_RE.match(value):
        raise ValidationError(
            "Enter the Zendesk subdomain, like “acme” for acme.zendesk.com.", field="subdomain"
        )
    return value


def _check_token(token: str) -> str:
    token = (token or "").strip()
    if len(token) < MIN_TOKEN_LENGTH or any(ch.isspace() for ch in token):
        raise ValidationError("Paste the Zendesk API token (no spaces).", field="token")
    return token


def _view(connection: ZendeskConnection) -> ConnectionView:
    return ConnectionView(
        connection.id,
        connection.subdomain,
        connection.email,
        connection.enabled,
        bool(connection.token_encrypted),
        connection.last_synced_at,
        connection.last_error,
    )


def list_connections(session: Session) -> list[ConnectionView]:
    rows = session.exec(select(ZendeskConnection).order_by(ZendeskConnection.subdomain)).all()
    return [_view(row) for row in rows]


def add_connection(
    session: Session, actor: Actor, *, subdomain: str, email: str, token: str
) -> ConnectionView:
    _require_admin(actor)
    subdomain = normalise_subdomain(subdomain)
    email = normalise_email(email)
    token = _check_token(token)
    if session.exec(select(ZendeskConnection).where(ZendeskConnection.subdomain == subdomain)).first():
        raise ValidationError(f"{subdomain} is already connected.", field="subdomain")
    connection = ZendeskConnection(subdomain=subdomain, email=email, token_encrypted=encrypt_secret(token))
    session.add(connection)
    session.flush()
    audit.record(
        session,
        actor,
        "zendesk_connection_added",
        target_type="zendesk_connection",
        target_id=connection.id,
        details={"subdomain": subdomain, "email": email},
    )
    return _view(connection)


def update_connection(
    session: Session,
    actor: Actor,
    *,
    connection_id: int,
    email: str | None = None,
    token: str | None = None,
    enabled: bool | None = None,
) -> ConnectionView:
    """Change what is given; an empty or None token keeps the stored one."""
    _require_admin(actor)
    connection = session.get(ZendeskConnection, connection_id)
    if connection is None:
        raise ValidationError("No such Zendesk connection.", field="connection")
    changed: list[str] = []
    if email is not None and normalise_email(email) != connection.email:
        connection.email = normalise_email(email)
        changed.append("email")
    if token:
        connection.token_encrypted = encrypt_secret(_check_token(token))
        connection.last_error = None
        changed.append("token")
    if enabled is not None and enabled != connection.enabled:
        connection.enabled = enabled
        changed.append("enabled")
    if changed:
        session.add(connection)
        audit.record(
            session,
            actor,
            "zendesk_connection_changed",
            target_type="zendesk_connection",
            target_id=connection.id,
            details={"subdomain": connection.subdomain, "changed": changed, "enabled": connection.enabled},
        )
    return _view(connection)


def enabled_credentials(session: Session) -> list[ConnectionCredentials]:
    """Decrypted credentials of the enabled connections, for the sync only (never for display)."""
    rows = session.exec(
        select(ZendeskConnection)
        .where(ZendeskConnection.enabled == True)  # noqa: E712
        .order_by(ZendeskConnection.subdomain)
    ).all()
    return [ConnectionCredentials(row.id, row.subdomain, row.email, _readable_token(row)) for row in rows]


def _readable_token(connection: ZendeskConnection) -> str | None:
    try:
        return decrypt_secret(connection.token_encrypted) if connection.token_encrypted else None
    except SecretUnreadable:
        return None
