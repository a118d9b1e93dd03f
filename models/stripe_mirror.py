"""A local mirror of the Stripe objects the console reads. Primary keys are Stripe ids.

Amounts are integer minor units beside a lowercase ISO currency code, as Stripe sends them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Index, Numeric
from sqlmodel import Field, SQLModel

from models.types import json_field, personal, utc_field


class StripeCustomer(SQLModel, table=True):
    __tablename__ = "stripe_customers"

    id: str = Field(primary_key=True, max_length=64)
    account_id: int | None = Field(default=None, foreign_key="accounts.id", index=True)
    email: str | None = Field(
        default=None, max_length=320, index=True, sa_column_kwargs=personal("contact_email")
    )
    name: str | None = Field(default=None, max_length=200, sa_column_kwargs=personal("name"))
    currency: str | None = Field(default=None, max_length=3)
    balance: int = Field(default=0, sa_column_kwargs=personal("billing"))
    delinquent: bool = False
    stripe_metadata: dict[str, Any] = json_field()
    created: datetime | None = utc_field()
    deleted: bool = Field(default=False, index=True)
    synced_at: datetime | None = utc_field()


class StripeProduct(SQLModel, table=True):
    __tablename__ = "stripe_products"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    active: bool = True
    app_id: int | None = Field(default=None, foreign_key="apps.id", index=True)
    stripe_metadata: dict[str, Any] = json_field()
    deleted: bool = False


class StripePrice(SQLModel, table=True):
    __tablename__ = "stripe_prices"

    id: str = Field(primary_key=True, max_length=64)
    product_id: str = Field(max_length=64, index=True)
    nickname: str | None = Field(default=None, max_length=200)
    currency: str = Field(max_length=3)
    unit_amount: int | None = None
    type: str = Field(default="recurring", max_length=16)  # recurring | one_time
    recurring_interval: str | None = Field(default=None, max_length=8)  # day|week|month|year
    recurring_interval_count: int = 1
    usage_type: str = Field(default="licensed", max_length=16)  # licensed | metered
    billing_scheme: str = Field(default="per_unit", max_length=16)
    active: bool = True
    deleted: bool = False


class StripeCoupon(SQLModel, table=True):
    __tablename__ = "stripe_coupons"

    id: str = Field(primary_key=True, max_length=64)
    name: str | None = Field(default=None, max_length=200)
    percent_off: Decimal | None = Field(default=None, sa_column=Column(Numeric(7, 4), nullable=True))
    amount_off: int | None = None
    currency: str | None = Field(default=None, max_length=3)
    duration: str = Field(default="once", max_length=16)  # once | repeating | forever
    duration_in_months: int | None = None
    valid: bool = True
    created: datetime | None = utc_field()
    deleted: bool = False


class StripeSubscription(SQLModel, table=True):
    __tablename__ = "stripe_subscriptions"
    __table_args__ = (Index("ix_stripe_subscriptions_status_currency", "status", "currency"),)

    id: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(max_length=64, index=True)
    account_id: int | None = Field(default=None, foreign_key="accounts.id", index=True)
    app_id: int | None = Field(default=None, foreign_key="apps.id", index=True)
    status: str = Field(max_length=24, index=True)
    currency: str = Field(max_length=3)
    collection_method: str = Field(default="charge_automatically", max_length=32)
    created: datetime | None = utc_field()
    start_date: datetime | None = utc_field()
    trial_start: datetime | None = utc_field()
    trial_end: datetime | None = utc_field()
    current_period_start: datetime | None = utc_field()
    current_period_end: datetime | None = utc_field(index=True)
    cancel_at_period_end: bool = False
    cancel_at: datetime | None = utc_field()
    canceled_at: datetime | None = utc_field()
    ended_at: datetime | None = utc_field()
    # Stripe's cancellation_details.reason: cancellation_requested | payment_disputed | payment_failed
    cancellation_reason: str | None = Field(default=None, max_length=32)
    # MRR in minor units of `currency`, recomputed on every upsert (see dashboard.billing.revenue).
    mrr: int = 0
    stripe_metadata: dict[str, Any] = json_field()
    synced_at: datetime | None = utc_field()


class StripeSubscriptionItem(SQLModel, table=True):
    __tablename__ = "stripe_subscription_items"

    id: str = Field(primary_key=True, max_length=64)
    subscription_id: str = Field(max_length=64, index=True)
    price_id: str = Field(max_length=64, index=True)
    quantity: int = 1
    current_period_start: datetime | None = utc_field()
    current_period_end: datetime | None = utc_field()


class StripeDiscount(SQLModel, table=True):
    __tablename__ = "stripe_discounts"

    id: str = Field(primary_key=True, max_length=64)
    coupon_id: str = Field(max_length=64, index=True)
    customer_id: str | None = Field(default=None, max_length=64, index=True)
    subscription_id: str | None = Field(default=None, max_length=64, index=True)
    start: datetime | None = utc_field()
    end: datetime | None = utc_field()


class StripeInvoice(SQLModel, table=True):
    __tablename__ = "stripe_invoices"

    id: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(max_length=64, index=True)
    subscription_id: str | None = Field(default=None, max_length=64, index=True)
    number: str | None = Field(default=None, max_length=64)
    status: str = Field(max_length=16, index=True)  # draft|open|paid|uncollectible|void
    currency: str = Field(max_length=3)
    subtotal: int = 0
    tax: int = 0
    total: int = 0
    amount_due: int = 0
    amount_paid: int = 0
    amount_remaining: int = 0
    created: datetime | None = utc_field(index=True)
    period_start: datetime | None = utc_field()
    period_end: datetime | None = utc_field()
    paid_at: datetime | None = utc_field()
    due_date: datetime | None = utc_field()
    attempt_count: int = 0  # payment attempts so far (Smart Retries)
    next_payment_attempt: datetime | None = utc_field()  # the next automatic retry, None when none
    hosted_invoice_url: str | None = Field(default=None, max_length=500)


class StripePayment(SQLModel, table=True):
    """A charge (with its payment intent and invoice when known). Card data: brand and last four only."""

    __tablename__ = "stripe_payments"

    id: str = Field(primary_key=True, max_length=64)
    payment_intent_id: str | None = Field(default=None, max_length=64, index=True)
    invoice_id: str | None = Field(default=None, max_length=64, index=True)
    customer_id: str | None = Field(default=None, max_length=64, index=True)
    amount: int = 0
    amount_captured: int = 0
    amount_refunded: int = 0
    currency: str = Field(max_length=3)
    status: str = Field(max_length=16)  # succeeded|pending|failed
    paid: bool = False
    refunded: bool = False
    card_brand: str | None = Field(default=None, max_length=32, sa_column_kwargs=personal("billing"))
    card_last4: str | None = Field(default=None, max_length=4, sa_column_kwargs=personal("billing"))
    card_exp_month: int | None = Field(default=None, sa_column_kwargs=personal("billing"))
    card_exp_year: int | None = Field(default=None, sa_column_kwargs=personal("billing"))
    created: datetime | None = utc_field(index=True)


class StripeRefund(SQLModel, table=True):
    __tablename__ = "stripe_refunds"

    id: str = Field(primary_key=True, max_length=64)
    charge_id: str | None = Field(default=None, max_length=64, index=True)
    payment_intent_id: str | None = Field(default=None, max_length=64)
    amount: int = 0
    currency: str = Field(max_length=3)
    status: str = Field(max_length=24)
    reason: str | None = Field(default=None, max_length=64)
    created: datetime | None = utc_field(index=True)
    stripe_metadata: dict[str, Any] = json_field()


class StripeCreditNote(SQLModel, table=True):
    __tablename__ = "stripe_credit_notes"

    id: str = Field(primary_key=True, max_length=64)
    invoice_id: str = Field(max_length=64, index=True)
    customer_id: str | None = Field(default=None, max_length=64, index=True)
    number: str | None = Field(default=None, max_length=64)
    amount: int = 0
    currency: str = Field(max_length=3)
    status: str = Field(max_length=16)  # issued | void
    type: str = Field(default="pre_payment", max_length=24)
    reason: str | None = Field(default=None, max_length=64)
    memo: str | None = Field(default=None, max_length=500, sa_column_kwargs=personal("free_text"))
    refund_id: str | None = Field(default=None, max_length=64)
    created: datetime | None = utc_field(index=True)


class MrrChange(SQLModel, table=True):
    """MRR change log: one row each time a subscription's MRR changes (history for any month)."""

    __tablename__ = "mrr_changes"
    __table_args__ = (Index("ix_mrr_changes_sub_day", "subscription_id", "effective_on"),)

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: str = Field(max_length=64)
    account_id: int | None = Field(default=None, index=True)
    customer_id: str = Field(max_length=64, index=True)
    effective_on: date = Field(index=True)
    mrr: int  # new MRR from that day, minor units of `currency`
    currency: str = Field(max_length=3)
    status: str = Field(max_length=24)
    # the price of the subscription's first item from that day (its plan and interval then);
    # None in rows logged before it was recorded, which fall back to the subscription's current price
    price_id: str | None = Field(default=None, max_length=64)


class StripeWebhookEvent(SQLModel, table=True):
    """Each Stripe event the webhook receiver accepted, once (the id is Stripe's event id)."""

    __tablename__ = "stripe_webhook_events"

    id: str = Field(primary_key=True, max_length=64)
    type: str = Field(max_length=64, index=True)
    created: datetime = utc_field(nullable=False, index=True)  # when Stripe created the event
    object_id: str | None = Field(default=None, max_length=64, index=True)
    livemode: bool = False
    status: str = Field(default="received", max_length=16)  # received | applied | ignored | failed
    received_at: datetime = utc_field(default_now=True, nullable=False)
    applied_at: datetime | None = utc_field()
    error: str | None = Field(default=None, max_length=2000)
