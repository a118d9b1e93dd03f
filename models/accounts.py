"""Customers (Zendesk accounts), their contacts, the company's apps and their installations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import external_id_field, json_field, personal, utc_field


class App(SQLModel, table=True):
    __tablename__ = "apps"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    zendesk_app_id: int | None = external_id_field(unique=True)
    stripe_product_id: str | None = Field(default=None, max_length=64, index=True)
    created_at: datetime = utc_field(default_now=True, nullable=False)


class Account(SQLModel, table=True):
    """A customer company; one Zendesk account (subdomain)."""

    __tablename__ = "accounts"

    id: int | None = Field(default=None, primary_key=True)
    company_name: str = Field(max_length=200, index=True)
    zendesk_subdomain: str = Field(max_length=100, unique=True, index=True)
    country: str = Field(default="", max_length=2)
    owner_user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    created_at: datetime = utc_field(default_now=True, nullable=False)


class Contact(SQLModel, table=True):
    __tablename__ = "contacts"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="accounts.id", index=True)
    name: str = Field(max_length=200, sa_column_kwargs=personal("name"))
    email: str = Field(max_length=320, index=True, sa_column_kwargs=personal("contact_email"))
    phone: str = Field(default="", max_length=64, sa_column_kwargs=personal("phone"))
    job_title: str = Field(default="", max_length=200, sa_column_kwargs=personal("job_title"))
    is_primary: bool = False
    marketing_opt_out: bool = Field(default=False, index=True, sa_column_kwargs=personal("consent"))
    marketing_opt_out_at: datetime | None = utc_field(personal_data="consent")
    anonymized_at: datetime | None = utc_field()
    created_at: datetime = utc_field(default_now=True, nullable=False)
    updated_at: datetime = utc_field(default_now=True, nullable=False)


class Installation(SQLModel, table=True):
    """An app installed in a customer's Zendesk; `state` is enabled, disabled or uninstalled."""

    __tablename__ = "installations"
    __table_args__ = (
        UniqueConstraint("account_id", "app_id", "zendesk_installation_id", name="uq_installation"),
        Index("ix_installations_app_state", "app_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="accounts.id", index=True)
    app_id: int = Field(foreign_key="apps.id", index=True)
    zendesk_installation_id: int | None = external_id_field()
    source: str = Field(default="zendesk", max_length=32)  # zendesk (the sync) | marketplace_csv (the import)
    state: str = Field(default="enabled", max_length=16, index=True)
    plan_name: str = Field(default="", max_length=100)
    paid: bool = False
    has_unpaid_subscription: bool = False
    has_incomplete_subscription: bool = False
    stripe_subscription_id: str | None = Field(default=None, max_length=64, index=True)
    seats: int | None = None
    settings: dict[str, Any] = json_field()
    installed_at: datetime | None = utc_field(index=True)
    updated_at: datetime | None = utc_field()
    uninstalled_at: datetime | None = utc_field(index=True)
    last_seen_at: datetime | None = utc_field()


class ZendeskConnection(SQLModel, table=True):
    """A Zendesk account the company holds API credentials for. The token is stored encrypted."""

    __tablename__ = "zendesk_connections"

    id: int | None = Field(default=None, primary_key=True)
    subdomain: str = Field(max_length=100, unique=True)
    email: str = Field(max_length=320, sa_column_kwargs=personal("contact_email"))
    token_encrypted: str = Field(default="", max_length=2000, sa_column_kwargs=personal("credential"))
    enabled: bool = True
    created_at: datetime = utc_field(default_now=True, nullable=False)
    last_synced_at: datetime | None = utc_field()
    last_error: str | None = Field(default=None, max_length=2000)
