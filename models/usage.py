"""Raw usage events (grow without bound) and the daily rollups pages read instead."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import ActorHash, big_id_field, personal, utc_field


class UsageAgent(SQLModel, table=True):
    """A user agent as apps send it, with the browser and OS parsed from it: apps send few distinct ones,
    so each event refers to one by number instead of repeating ~120 bytes of text."""

    __tablename__ = "usage_agents"

    id: int | None = Field(default=None, primary_key=True)
    user_agent: str = Field(max_length=500, unique=True, sa_column_kwargs=personal("device_data"))
    browser: str | None = Field(default=None, max_length=64, sa_column_kwargs=personal("device_data"))
    os: str | None = Field(default=None, max_length=64, sa_column_kwargs=personal("device_data"))


class UsageEvent(SQLModel, table=True):
    """One event from an app's backend. The actor is a keyed hash; the raw Zendesk user id is never stored.

    On PostgreSQL the table is partitioned by month of `occurred_at` (revision 0012): there the primary
    key is (id, occurred_at) and `event_id` is unique per monthly partition, not across the table
    (dashboard/usage/partitions.py). The model states the one-table layout (SQLite's); stores are made
    by the migrations.
    """

    __tablename__ = "usage_events"
    # Indexed only for what reads raw events: de-duplication (event_id), rollups and retention by time
    # (occurred_at), privacy exports and deletions (actor_hash). Pages read the rollups only.

    id: int | None = big_id_field()
    event_id: str = Field(max_length=64, unique=True)
    installation_id: int = Field(foreign_key="installations.id")
    account_id: int
    app_id: int
    feature: str = Field(max_length=64)
    actor_hash: str = Field(sa_type=ActorHash, index=True, sa_column_kwargs=personal("pseudonymous_id"))
    occurred_at: datetime = utc_field(index=True, nullable=False)
    ip_address: str | None = Field(default=None, max_length=45, sa_column_kwargs=personal("ip_address"))
    # No foreign key: each agent deleted by retention would then scan the events (agent_id is not indexed).
    agent_id: int | None = None  # usage_agents.id


class UsageDailyRollup(SQLModel, table=True):
    """Per day, installation and feature: event count and distinct actors."""

    __tablename__ = "usage_daily_rollups"
    __table_args__ = (
        UniqueConstraint("day", "installation_id", "feature", name="uq_usage_rollup"),
        Index("ix_usage_rollup_app_day", "app_id", "day"),
        Index("ix_usage_rollup_account_day", "account_id", "day"),
        # A day's refresh looks up each account's neighbouring active days in an app, and whether it
        # used a feature on another day of the month (dashboard/usage/rollup.py).
        Index("ix_usage_rollup_app_account_day", "app_id", "account_id", "day"),
        Index("ix_usage_rollup_app_feature_account_day", "app_id", "feature", "account_id", "day"),
    )

    id: int | None = big_id_field()
    day: date = Field(index=True)
    installation_id: int
    account_id: int
    app_id: int
    feature: str = Field(max_length=64)
    events: int = 0
    distinct_actors: int = 0


class UsageActorDay(SQLModel, table=True):
    """One row per actor, account, app and day: enough to count distinct actors over any window.

    The unique key is ordered (app, account, actor, day) so the sliding-window pass over each actor's
    days reads the index in order instead of sorting.
    """

    __tablename__ = "usage_actor_days"
    __table_args__ = (
        UniqueConstraint("app_id", "account_id", "actor_hash", "day", name="uq_usage_actor_day"),
        Index("ix_usage_actor_days_app_day", "app_id", "day"),
        # Each actor's neighbouring active days in any app (a day's refresh of the daily actives).
        Index("ix_usage_actor_days_member_day", "account_id", "actor_hash", "day"),
    )

    id: int | None = big_id_field()
    day: date = Field(index=True)
    app_id: int
    account_id: int
    actor_hash: str = Field(sa_type=ActorHash, sa_column_kwargs=personal("pseudonymous_id"))


class AppDailyActives(SQLModel, table=True):
    """Precomputed DAU/WAU/MAU per app and day (app_id 0 = all apps); active_accounts over 30 days."""

    __tablename__ = "app_daily_actives"
    __table_args__ = (UniqueConstraint("day", "app_id", name="uq_app_daily_actives"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    app_id: int
    dau: int = 0
    wau: int = 0
    mau: int = 0
    active_accounts: int = 0
    events: int = 0


class UsageFeatureDay(SQLModel, table=True):
    """Per day, app and feature: events, distinct actors and distinct accounts (charts over time)."""

    __tablename__ = "usage_feature_days"
    __table_args__ = (UniqueConstraint("day", "app_id", "feature", name="uq_usage_feature_day"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    app_id: int
    feature: str = Field(max_length=64)
    events: int = 0
    actors: int = 0
    accounts: int = 0


class UsageFeatureMonth(SQLModel, table=True):
    """Per month (first day), app and feature: events and distinct accounts (feature adoption)."""

    __tablename__ = "usage_feature_months"
    __table_args__ = (UniqueConstraint("month", "app_id", "feature", name="uq_usage_feature_month"),)

    id: int | None = Field(default=None, primary_key=True)
    month: date = Field(index=True)
    app_id: int
    feature: str = Field(max_length=64)
    events: int = 0
    accounts: int = 0


class UsageAccountMonth(SQLModel, table=True):
    """Per month (first day), account and app: events, active days, distinct actors."""

    __tablename__ = "usage_account_months"
    __table_args__ = (
        UniqueConstraint("month", "account_id", "app_id", name="uq_usage_account_month"),
        Index("ix_usage_account_months_account", "account_id", "month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    month: date = Field(index=True)
    account_id: int
    app_id: int
    events: int = 0
    active_days: int = 0
    actors: int = 0


class UsageCohort(SQLModel, table=True):
    """Accounts first active in `cohort_month` that were active again in `month` (app_id 0 = any app)."""

    __tablename__ = "usage_cohorts"
    __table_args__ = (UniqueConstraint("app_id", "cohort_month", "month", name="uq_usage_cohort"),)

    id: int | None = Field(default=None, primary_key=True)
    app_id: int
    cohort_month: date
    month: date
    accounts: int = 0
