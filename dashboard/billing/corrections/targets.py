"""The objects a correction acts on: picked from the mirror, then read fresh from Stripe.

The form is built from a fresh read (`read_target`), and its fingerprint travels with the form; at
submit the object is read again and a different fingerprint means someone changed it meanwhile.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from dashboard.billing.stripe_gateway import StripeGateway
from models import (
    StripeCoupon,
    StripeCustomer,
    StripeDiscount,
    StripeInvoice,
    StripePayment,
    StripePrice,
    StripeSubscription,
    StripeSubscriptionItem,
)

CHOICE_LIMIT = 200


@dataclass(frozen=True)
class Target:
    """A Stripe object as Stripe has it now, and the fingerprint of the fields a correction depends on."""

    resource: str
    object: dict[str, Any]
    fingerprint: str

    @property
    def id(self) -> str:
        return self.object["id"]

    @property
    def currency(self) -> str:
        return self.object["currency"]


def _id(value: Any) -> str | None:
    return value.get("id") if isinstance(value, dict) else value


def _relevant(resource: str, obj: dict[str, Any]) -> dict[str, Any]:
    if resource == "charges":
        keys = ("status", "currency", "amount_captured", "amount_refunded", "refunded")
        return {key: obj.get(key) for key in keys}
    if resource == "invoices":
        keys = (
            "status",
            "currency",
            "total",
            "amount_paid",
            "amount_remaining",
            "pre_payment_credit_notes_amount",
            "post_payment_credit_notes_amount",
        )
        return {key: obj.get(key) for key in keys}
    items = [(i["id"], _id(i["price"]), i.get("quantity")) for i in (obj.get("items") or {}).get("data", [])]
    return {
        "status": obj.get("status"),
        "currency": obj.get("currency"),
        "items": items,
        "discounts": sorted(_id(d) or "" for d in obj.get("discounts") or []),
    }


def fingerprint(resource: str, obj: dict[str, Any]) -> str:
    blob = json.dumps(_relevant(resource, obj), sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def read_target(gateway: StripeGateway, *, resource: str, object_id: str) -> Target:
    """Read a charge, invoice or subscription fresh from Stripe (never from the mirror)."""
    obj = gateway.retrieve(resource, object_id)
    return Target(resource, obj, fingerprint(resource, obj))


# -- what the form offers, from the mirror (fast; the fresh read happens once one is chosen) ----------


def _customer_ids(session: Session, account_id: int) -> list[str]:
    return list(session.exec(select(StripeCustomer.id).where(StripeCustomer.account_id == account_id)))


def payment_choices(session: Session, *, account_id: int) -> list[StripePayment]:
    """The account's successful payments with something left to refund, newest first."""
    return list(
        session.exec(
            select(StripePayment)
            .where(
                col(StripePayment.customer_id).in_(_customer_ids(session, account_id)),
                StripePayment.status == "succeeded",
                col(StripePayment.amount_refunded) < col(StripePayment.amount_captured),
            )
            .order_by(col(StripePayment.created).desc())
            .limit(CHOICE_LIMIT)
        )
    )


def invoice_choices(session: Session, *, account_id: int, statuses: tuple[str, ...]) -> list[StripeInvoice]:
    return list(
        session.exec(
            select(StripeInvoice)
            .where(
                col(StripeInvoice.customer_id).in_(_customer_ids(session, account_id)),
                col(StripeInvoice.status).in_(statuses),
            )
            .order_by(col(StripeInvoice.created).desc())
            .limit(CHOICE_LIMIT)
        )
    )


def subscription_choices(session: Session, *, account_id: int) -> list[StripeSubscription]:
    return list(
        session.exec(
            select(StripeSubscription)
            .where(
                StripeSubscription.account_id == account_id,
                col(StripeSubscription.status).in_(("active", "trialing", "past_due")),
            )
            .order_by(col(StripeSubscription.created).desc())
        )
    )


def coupon_choices(session: Session) -> list[StripeCoupon]:
    return list(
        session.exec(
            select(StripeCoupon)
            .where(col(StripeCoupon.deleted).is_(False), col(StripeCoupon.valid).is_(True))
            .order_by(StripeCoupon.name, StripeCoupon.id)
        )
    )


def price_choices(session: Session, *, currency: str, interval: str | None) -> list[StripePrice]:
    """Active recurring prices a subscription item could move to (same currency and interval)."""
    query = select(StripePrice).where(
        StripePrice.currency == currency,
        col(StripePrice.active).is_(True),
        col(StripePrice.deleted).is_(False),
        StripePrice.type == "recurring",
    )
    if interval:
        query = query.where(StripePrice.recurring_interval == interval)
    return list(session.exec(query.order_by(StripePrice.product_id, StripePrice.unit_amount)))


def subscription_items(session: Session, *, subscription_id: str) -> list[StripeSubscriptionItem]:
    return list(
        session.exec(
            select(StripeSubscriptionItem)
            .where(StripeSubscriptionItem.subscription_id == subscription_id)
            .order_by(StripeSubscriptionItem.id)
        )
    )


def subscription_discounts(session: Session, *, subscription_id: str) -> list[StripeDiscount]:
    return list(
        session.exec(
            select(StripeDiscount)
            .where(StripeDiscount.subscription_id == subscription_id)
            .order_by(StripeDiscount.id)
        )
    )
