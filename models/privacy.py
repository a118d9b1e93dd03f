"""Privacy requests, their timeline, per-system steps, and data exports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import json_field, personal, utc_field

REQUEST_TYPES = ("access", "portability", "correction", "deletion", "opt_out")
REQUEST_STATUSES = (
    "new",
    "verifying_identity",
    "in_progress",
    "awaiting_client",
    "completed",
    "denied",
    "withdrawn",
)
# Jurisdictions are the rows of dashboard/privacy/deadline_rules.toml.


class PrivacyRequest(SQLModel, table=True):
    __tablename__ = "privacy_requests"
    __table_args__ = (Index("ix_privacy_requests_status_due", "status", "due_on"),)

    id: int | None = Field(default=None, primary_key=True)
    type: str = Field(max_length=16, index=True)
    status: str = Field(default="new", max_length=24, index=True)
    subject_name: str = Field(max_length=200, sa_column_kwargs=personal("name"))
    subject_email: str = Field(max_length=320, index=True, sa_column_kwargs=personal("contact_email"))
    # customer_contact: the company is controller; end_user: a person inside a client's Zendesk,
    # where the company is the client's processor and acts only on the client's instruction.
    subject_kind: str = Field(default="customer_contact", max_length=24)
    is_processor: bool = False
    account_id: int | None = Field(default=None, foreign_key="accounts.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contacts.id")
    jurisdiction: str = Field(max_length=16, index=True)
    # Where the subject is (ISO country, state/province code) and the jurisdiction suggested from it;
    # `jurisdiction_reason` is the officer's reason when the chosen jurisdiction differs.
    subject_country: str = Field(default="", max_length=2, sa_column_kwargs=personal("location"))
    subject_region: str = Field(default="", max_length=3, sa_column_kwargs=personal("location"))
    suggested_jurisdiction: str | None = Field(default=None, max_length=16)
    jurisdiction_reason: str | None = Field(
        default=None, max_length=2000, sa_column_kwargs=personal("free_text")
    )
    channel: str = Field(default="email", max_length=32)
    notes: str = Field(default="", sa_type=Text, sa_column_kwargs=personal("free_text"))
    received_on: date = Field(index=True)
    clock_started_on: date | None = None
    due_on: date | None = None
    acknowledge_by: date | None = None
    acknowledged_on: date | None = None
    extended: bool = False
    extension_reason: str | None = Field(
        default=None, max_length=2000, sa_column_kwargs=personal("free_text")
    )
    extension_notified_on: date | None = None
    assignee_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    client_forwarded_at: datetime | None = utc_field()
    client_instruction: str | None = Field(
        default=None, max_length=4000, sa_column_kwargs=personal("free_text")
    )
    client_instruction_at: datetime | None = utc_field()
    denial_reason: str | None = Field(default=None, max_length=4000, sa_column_kwargs=personal("free_text"))
    appeal_info: str | None = Field(default=None, max_length=4000, sa_column_kwargs=personal("free_text"))
    merged_into_id: int | None = Field(default=None, foreign_key="privacy_requests.id")
    completed_at: datetime | None = utc_field()
    created_by: str = Field(default="", max_length=320, sa_column_kwargs=personal("staff_identity"))
    created_at: datetime = utc_field(default_now=True, nullable=False)
    updated_at: datetime = utc_field(default_now=True, nullable=False)
    version: int = 1  # optimistic concurrency: every save must name the version it read


class PrivacyRequestEvent(SQLModel, table=True):
    """The request's timeline: notes, status changes, assignments, extensions, corrections."""

    __tablename__ = "privacy_request_events"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="privacy_requests.id", index=True)
    at: datetime = utc_field(default_now=True, nullable=False)
    actor: str = Field(max_length=320, sa_column_kwargs=personal("staff_identity"))
    kind: str = Field(max_length=32)
    text: str = Field(default="", sa_type=Text, sa_column_kwargs=personal("free_text"))
    details: dict[str, Any] = json_field(personal_data="free_text")


class PrivacyRequestStep(SQLModel, table=True):
    """One per-system step of an export or deletion; retried on its own from its last state."""

    __tablename__ = "privacy_request_steps"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="privacy_requests.id", index=True)
    operation: str = Field(max_length=16)  # export | delete
    system: str = Field(max_length=16)  # store | stripe | zendesk
    status: str = Field(default="pending", max_length=16)  # pending|running|done|failed|skipped
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=4000)
    started_at: datetime | None = utc_field()
    finished_at: datetime | None = utc_field()
    verified_at: datetime | None = utc_field()
    done_by: str | None = Field(default=None, max_length=320, sa_column_kwargs=personal("staff_identity"))
    result: dict[str, Any] = json_field(personal_data="free_text")


class DataExport(SQLModel, table=True):
    __tablename__ = "data_exports"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="privacy_requests.id", index=True)
    status: str = Field(default="building", max_length=16)  # building|complete|incomplete|failed|expired
    file_name: str | None = Field(default=None, max_length=255)
    size_bytes: int | None = None
    sha256: str | None = Field(default=None, max_length=64)
    sources: dict[str, Any] = json_field(personal_data="free_text")  # per source: status, counts, error
    incomplete_reason: str | None = Field(default=None, max_length=4000)
    created_by: str = Field(default="", max_length=320, sa_column_kwargs=personal("staff_identity"))
    created_at: datetime = utc_field(default_now=True, nullable=False)
    expires_at: datetime | None = utc_field(index=True)
    deleted_at: datetime | None = utc_field()
    download_count: int = 0


class PrivacyReminder(SQLModel, table=True):
    """One request in one day's reminder digest to one person: what stops a second send that day.

    `status` is sent or failed; a failed row keeps the error and is tried again on the next run.
    """

    __tablename__ = "privacy_reminders"
    __table_args__ = (UniqueConstraint("day", "request_id", "recipient", name="uq_privacy_reminder"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    request_id: int = Field(foreign_key="privacy_requests.id", index=True)
    recipient: str = Field(max_length=320, sa_column_kwargs=personal("staff_identity"))
    reason: str = Field(max_length=24)  # overdue | due_today | due_soon | acknowledge | client_wait
    status: str = Field(default="sent", max_length=16)
    attempts: int = 0
    error: str | None = Field(default=None, max_length=2000)
    sent_at: datetime | None = utc_field()
    updated_at: datetime = utc_field(default_now=True, nullable=False)
