"""Console users, their sign-in sessions, the audit chain, sync runs, stored cursors and exchange rates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Index, Numeric
from sqlmodel import Field, SQLModel

from dashboard.core import clock
from models.types import BIGINT, big_id_field, json_field, personal, utc_field

ROLES = ("account_manager", "privacy_officer", "executive", "admin")


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True, sa_column_kwargs=personal("staff_identity"))
    name: str = Field(default="", max_length=200, sa_column_kwargs=personal("name"))
    role: str = Field(max_length=32, index=True)
    # Null for users who only sign in through OIDC.
    password_hash: str | None = Field(default=None, max_length=255, sa_column_kwargs=personal("credential"))
    active: bool = Field(default=True, index=True)
    failed_logins: int = 0
    locked_until: datetime | None = utc_field()
    last_failed_at: datetime | None = utc_field()  # failures older than LOGIN_FAILURE_WINDOW_MINUTES lapse
    last_login_at: datetime | None = utc_field()
    created_at: datetime = utc_field(default_now=True, nullable=False)
    timezone: str = Field(default="UTC", max_length=64)


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins for an email that has no local password, counted exactly like a user's, so an
    unknown email is answered with the same waits and lockout as a real one (no account enumeration)."""

    __tablename__ = "login_throttles"

    email_hash: str = Field(  # SHA-256 of the lower-cased email
        primary_key=True, max_length=64, sa_column_kwargs=personal("pseudonymous_id")
    )
    failed_logins: int = 0
    locked_until: datetime | None = utc_field()
    last_failed_at: datetime | None = utc_field()


class LoginSession(SQLModel, table=True):
    """A local sign-in kept across browser reloads. Only the SHA-256 of the browser's token is stored."""

    __tablename__ = "login_sessions"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, sa_column_kwargs=personal("credential"))
    created_at: datetime = utc_field(default_now=True, nullable=False)
    last_seen_at: datetime = utc_field(default_now=True, nullable=False)
    expires_at: datetime = utc_field(nullable=False)
    revoked_at: datetime | None = utc_field()
    user_agent: str = Field(default="", max_length=200, sa_column_kwargs=personal("device_data"))


class AuditEvent(SQLModel, table=True):
    """Append-only. `row_hash` covers this row's content and `prev_hash`, chaining the log."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_target", "target_type", "target_id"),)

    id: int | None = big_id_field()
    at: datetime = utc_field(default_now=True, nullable=False, index=True)
    actor: str = Field(max_length=320, index=True, sa_column_kwargs=personal("staff_identity"))
    actor_role: str = Field(max_length=32)
    action: str = Field(max_length=64, index=True)
    target_type: str = Field(default="", max_length=64)
    target_id: str = Field(default="", max_length=128)
    account_id: int | None = Field(default=None, index=True)
    details: dict[str, Any] = json_field(personal_data="free_text")
    prev_hash: str = Field(max_length=64)
    row_hash: str = Field(max_length=64, unique=True)


class AuditChainHead(SQLModel, table=True):
    """One row that holds the newest audit hash; locking it serialises writers on PostgreSQL."""

    __tablename__ = "audit_chain_head"

    id: int = Field(default=1, primary_key=True)
    last_id: int = Field(default=0, sa_type=BIGINT)
    last_hash: str = Field(default="0" * 64, max_length=64)


class SyncRun(SQLModel, table=True):
    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_kind_started", "kind", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=48)  # stripe_full, stripe_incremental, zendesk, usage_ingest, ...
    status: str = Field(default="running", max_length=16, index=True)  # running|succeeded|failed|partial
    started_at: datetime = utc_field(default_now=True, nullable=False)
    finished_at: datetime | None = utc_field()
    triggered_by: str = Field(default="system", max_length=320, sa_column_kwargs=personal("staff_identity"))
    counts: dict[str, Any] = json_field()
    message: str = Field(default="", max_length=4000)
    error: str | None = Field(default=None, max_length=4000)


class JobLock(SQLModel, table=True):
    """Who runs a job now. On SQLite the row is the lock; on PostgreSQL an advisory lock is, and the row
    only says who holds it."""

    __tablename__ = "job_locks"

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=320, sa_column_kwargs=personal("staff_identity"))
    host: str = Field(max_length=255)
    pid: int
    acquired_at: datetime = utc_field(default_now=True, nullable=False)


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
    day: date = Field(default_factory=clock.today, primary_key=True)
    rate: Decimal = Field(sa_column=Column(Numeric(18, 8), nullable=False))
    source: str = Field(default="manual", max_length=32)  # manual | csv | migrated | demo
    updated_at: datetime = utc_field(default_now=True, nullable=False)
    updated_by: str = Field(default="system", max_length=320, sa_column_kwargs=personal("staff_identity"))
