"""Console users, their sign-in sessions, the audit chain, sync runs, stored cursors and exchange rates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Index, Numeric
from sqlmodel import Field, SQLModel

from dashboard import clock
from models.types import json_field, utc_field

ROLES = ("account_manager", "privacy_officer", "executive", "admin")


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    name: str = Field(default="", max_length=200)
    role: str = Field(max_length=32, index=True)
    # Null for users who only sign in through OIDC.
    password_hash: str | None = Field(default=None, max_length=255)
    active: bool = Field(default=True, index=True)
    failed_logins: int = 0
    locked_until: datetime | None = utc_field()
    last_login_at: datetime | None = utc_field()
    created_at: datetime = utc_field(default_now=True, nullable=False)
    timezone: str = Field(default="UTC", max_length=64)


class LoginSession(SQLModel, table=True):
    """A local sign-in kept across browser reloads. Only the SHA-256 of the browser's token is stored."""

    __tablename__ = "login_sessions"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = utc_field(default_now=True, nullable=False)
    last_seen_at: datetime = utc_field(default_now=True, nullable=False)
    expires_at: datetime = utc_field(nullable=False)
    revoked_at: datetime | None = utc_field()
    user_agent: str = Field(default="", max_length=200)


class AuditEvent(SQLModel, table=True):
    """Append-only. `row_hash` covers this row's content and `prev_hash`, chaining the log."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_target", "target_type", "target_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = utc_field(default_now=True, nullable=False, index=True)
    actor: str = Field(max_length=320, index=True)
    actor_role: str = Field(max_length=32)
    action: str = Field(max_length=64, index=True)
    target_type: str = Field(default="", max_length=64)
    target_id: str = Field(default="", max_length=128)
    account_id: int | None = Field(default=None, index=True)
    details: dict[str, Any] = json_field()
    prev_hash: str = Field(max_length=64)
    row_hash: str = Field(max_length=64, unique=True)


class AuditChainHead(SQLModel, table=True):
    """One row that holds the newest audit hash; locking it serialises writers on PostgreSQL."""

    __tablename__ = "audit_chain_head"

    id: int = Field(default=1, primary_key=True)
    last_id: int = 0
    last_hash: str = Field(default="0" * 64, max_length=64)


class SyncRun(SQLModel, table=True):
    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_kind_started", "kind", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=48)  # stripe_full, stripe_incremental, zendesk, usage_ingest, ...
    status: str = Field(default="running", max_length=16, index=True)  # running|succeeded|failed|partial
    started_at: datetime = utc_field(default_now=True, nullable=False)
    finished_at: datetime | None = utc_field()
    triggered_by: str = Field(default="system", max_length=320)
    counts: dict[str, Any] = json_field()
    message: str = Field(default="", max_length=4000)
    error: str | None = Field(default=None, max_length=4000)


class SyncState(SQLModel, table=True):
    """Small key/value store for cursors (e.g. the last Stripe event seen)."""

    __tablename__ = "sync_state"

    key: str = Field(primary_key=True, max_length=128)
    value: str = Field(default="", max_length=4000)
    updated_at: datetime = utc_field(default_now=True, nullable=False)


class FxRate(SQLModel, table=True):
    """How many units of the reporting currency one unit of `currency` was worth on `day`.

    One row per currency and day (ECB reference rates are daily); revenue uses each month's month-end
    rate (docs/revenue-metrics.md). A row made without a day is today's rate.
    """

    __tablename__ = "fx_rates"

    currency: str = Field(primary_key=True, max_length=3)
    day: date = Field(default_factory=lambda: clock.today(), primary_key=True)
    rate: Decimal = Field(sa_column=Column(Numeric(18, 8), nullable=False))
    source: str = Field(default="manual", max_length=32)  # manual | csv | migrated | demo
    updated_at: datetime = utc_field(default_now=True, nullable=False)
    updated_by: str = Field(default="system", max_length=320)
