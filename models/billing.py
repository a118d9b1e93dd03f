"""Billing corrections sent to Stripe (refunds, credit notes, discounts, plan changes, voids)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.types import json_field, personal, utc_field


class CorrectionStatus(StrEnum):
    """Where a correction is. `sending` is committed, with its key, before Stripe is called."""

    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    SENDING = "sending"  # committed before the call; the call may be in flight, or its answer lost
    EXECUTED = "executed"  # Stripe did it (its answer, or the object found in Stripe afterwards)
    FAILED = "failed"  # Stripe said no: nothing happened, a person may send it again
    UNKNOWN = "unknown"  # no answer, or an answer not recorded: resolved by looking in Stripe first
    REJECTED = "rejected"


class BillingCorrection(SQLModel, table=True):
    """Stored, with its idempotency key, before anything is sent to Stripe."""

    __tablename__ = "billing_corrections"
    __table_args__ = (Index("ix_billing_corrections_status_requested", "status", "requested_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=24, index=True)
    status: str = Field(default=CorrectionStatus.DRAFT, max_length=24)
    account_id: int | None = Field(default=None, foreign_key="accounts.id", index=True)
    customer_id: str | None = Field(default=None, max_length=64)
    subscription_id: str | None = Field(default=None, max_length=64)
    invoice_id: str | None = Field(default=None, max_length=64)
    payment_id: str | None = Field(default=None, max_length=64)
    amount: int | None = None  # minor units of `currency`
    currency: str | None = Field(default=None, max_length=3)
    amount_reporting: int | None = None  # minor units of the reporting currency, for the threshold
    params: dict[str, Any] = json_field()
    # What the target looked like when the form was opened; a mismatch at submit means a stale form.
    target_fingerprint: str | None = Field(default=None, max_length=128)
    reason_category: str = Field(max_length=48)
    reason_text: str = Field(max_length=2000, sa_column_kwargs=personal("free_text"))
    idempotency_key: str = Field(max_length=80, unique=True)
    requested_by: str = Field(max_length=320, sa_column_kwargs=personal("staff_identity"))
    requested_at: datetime = utc_field(default_now=True, nullable=False)
    decided_by: str | None = Field(default=None, max_length=320, sa_column_kwargs=personal("staff_identity"))
    decided_at: datetime | None = utc_field()
    decision_reason: str | None = Field(default=None, max_length=2000, sa_column_kwargs=personal("free_text"))
    executed_at: datetime | None = utc_field()
    attempts: int = 0  # sends to Stripe (a look for the result without a send is not one)
    # The idempotency key of the current send, committed with `sending` before the call; resending an
    # unknown correction reuses it, a failed one gets a new one (Stripe would replay the refusal).
    sending_key: str | None = Field(default=None, max_length=96)
    sending_at: datetime | None = utc_field()
    checked_at: datetime | None = utc_field()  # last time the console looked for the result in Stripe
    # When the mirror was refreshed after execution (the write's answer is recorded first; the re-read
    # of the charge / invoice is separate and retried by `corrections resolve` while this is empty).
    mirrored_at: datetime | None = utc_field()
    stripe_result_id: str | None = Field(default=None, max_length=64)
    result: dict[str, Any] = json_field()
    error_message: str | None = Field(default=None, max_length=2000)
    version: int = 1
