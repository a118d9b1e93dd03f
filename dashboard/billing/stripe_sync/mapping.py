"""Stripe API objects (plain dicts, current API shapes) -> mirror rows (plain dicts)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from dashboard.billing.revenue.mrr import CouponTerms, ItemTerms


def ts(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value else None


def _id(value: Any) -> str | None:
    """An expandable field: an id string, an expanded object, or null."""
    if value is None or isinstance(value, str):
        return value
    return value.get("id")


def customer_row(obj: dict) -> dict:
    return {
        "id": obj["id"],
        "email": obj.get("email"),
        "name": obj.get("name"),
        "currency": obj.get("currency"),
        "balance": obj.get("balance") or 0,
        "delinquent": bool(obj.get("delinquent")),
        "stripe_metadata": obj.get("metadata") or {},
        "created": ts(obj.get("created")),
        "deleted": bool(obj.get("deleted")),
    }


def product_row(obj: dict, app_ids: dict[str, int]) -> dict:
    return {
        "id": obj["id"],
        "name": obj.get("name") or obj["id"],
        "active": bool(obj.get("active", True)),
        "app_id": app_ids.get(obj["id"]),
        "stripe_metadata": obj.get("metadata") or {},
        "deleted": bool(obj.get("deleted")),
    }


def price_row(obj: dict) -> dict:
    recurring = obj.get("recurring") or {}
    return {
        "id": obj["id"],
        "product_id": _id(obj.get("product")) or "",
        "nickname": obj.get("nickname"),
        "currency": obj["currency"],
        "unit_amount": obj.get("unit_amount"),
        "type": obj.get("type") or "recurring",
        "recurring_interval": recurring.get("interval"),
        "recurring_interval_count": recurring.get("interval_count") or 1,
        "usage_type": recurring.get("usage_type") or "licensed",
        "billing_scheme": obj.get("billing_scheme") or "per_unit",
        "active": bool(obj.get("active", True)),
        "deleted": bool(obj.get("deleted")),
    }


def coupon_row(obj: dict) -> dict:
    percent = obj.get("percent_off")
    return {
        "id": obj["id"],
        "name": obj.get("name"),
        "percent_off": Decimal(str(percent)) if percent is not None else None,
        "amount_off": obj.get("amount_off"),
        "currency": obj.get("currency"),
        "duration": obj.get("duration") or "once",
        "duration_in_months": obj.get("duration_in_months"),
        "valid": bool(obj.get("valid", True)),
        "created": ts(obj.get("created")),
        "deleted": bool(obj.get("deleted")),
    }


def subscription_items(obj: dict) -> list[dict]:
    return list((obj.get("items") or {}).get("data") or [])


def first_price_id(obj: dict) -> str | None:
    """The price of a subscription's first item (its plan, as the segments read it)."""
    items = subscription_items(obj)
    return _id(items[0]["price"]) if items else None


def subscription_discounts(obj: dict) -> list[dict]:
    """Expanded discounts only (the gateway lists subscriptions with `expand=data.discounts`)."""
    return [d for d in obj.get("discounts") or [] if isinstance(d, dict)]


def discount_coupon(discount: dict) -> dict | None:
    source = discount.get("source") or {}
    coupon = source.get("coupon") or discount.get("coupon")
    return coupon if isinstance(coupon, dict) else None


def subscription_row(obj: dict, *, price_apps: dict[str, int | None]) -> dict:
    items = subscription_items(obj)
    first = items[0] if items else {}
    app_id = next(
        (
            price_apps.get(_id(item["price"]) or "")
            for item in items
            if price_apps.get(_id(item["price"]) or "")
        ),
        None,
    )
    return {
        "id": obj["id"],
        "customer_id": _id(obj["customer"]),
        "app_id": app_id,
        "status": obj["status"],
        "currency": obj["currency"],
        "collection_method": obj.get("collection_method") or "charge_automatically",
        "created": ts(obj.get("created")),
        "start_date": ts(obj.get("start_date")),
        "trial_start": ts(obj.get("trial_start")),
        "trial_end": ts(obj.get("trial_end")),
        "current_period_start": ts(first.get("current_period_start")),
        "current_period_end": ts(first.get("current_period_end")),
        "cancel_at_period_end": bool(obj.get("cancel_at_period_end")),
        "cancel_at": ts(obj.get("cancel_at")),
        "canceled_at": ts(obj.get("canceled_at")),
        "ended_at": ts(obj.get("ended_at")),
        "cancellation_reason": (obj.get("cancellation_details") or {}).get("reason"),
        "stripe_metadata": obj.get("metadata") or {},
    }


def item_row(item: dict, subscription_id: str) -> dict:
    return {
        "id": item["id"],
        "subscription_id": subscription_id,
        "price_id": _id(item["price"]),
        "quantity": item.get("quantity") or 0,
        "current_period_start": ts(item.get("current_period_start")),
        "current_period_end": ts(item.get("current_period_end")),
    }


def discount_row(discount: dict, subscription_id: str) -> dict:
    coupon = discount_coupon(discount) or {}
    return {
        "id": discount["id"],
        "coupon_id": coupon.get("id") or "",
        "customer_id": _id(discount.get("customer")),
        "subscription_id": subscription_id,
        "start": ts(discount.get("start")),
        "end": ts(discount.get("end")),
    }


def item_terms(item: dict) -> ItemTerms:
    price = item["price"] if isinstance(item["price"], dict) else {}
    recurring = price.get("recurring") or {}
    return ItemTerms(
        unit_amount=price.get("unit_amount"),
        quantity=item.get("quantity") or 0,
        interval=recurring.get("interval"),
        interval_count=recurring.get("interval_count") or 1,
        usage_type=recurring.get("usage_type") or "licensed",
        billing_scheme=price.get("billing_scheme") or "per_unit",
    )


def coupon_terms(discount: dict) -> CouponTerms | None:
    coupon = discount_coupon(discount)
    if coupon is None:
        return None
    percent = coupon.get("percent_off")
    return CouponTerms(
        percent_off=Decimal(str(percent)) if percent is not None else None,
        amount_off=coupon.get("amount_off"),
        duration=coupon.get("duration") or "once",
        ends_at=ts(discount.get("end")),
    )


def invoice_row(obj: dict) -> dict:
    parent = obj.get("parent") or {}
    details = parent.get("subscription_details") or {}
    transitions = obj.get("status_transitions") or {}
    total = obj.get("total") or 0
    excluding_tax = obj.get("total_excluding_tax")
    return {
        "id": obj["id"],
        "customer_id": _id(obj.get("customer")) or "",
        "subscription_id": _id(details.get("subscription")),
        "number": obj.get("number"),
        "status": obj.get("status") or "draft",
        "currency": obj["currency"],
        "subtotal": obj.get("subtotal") or 0,
        "tax": total - excluding_tax if excluding_tax is not None else 0,
        "total": total,
        "amount_due": obj.get("amount_due") or 0,
        "amount_paid": obj.get("amount_paid") or 0,
        "amount_remaining": obj.get("amount_remaining") or 0,
        "created": ts(obj.get("created")),
        "period_start": ts(obj.get("period_start")),
        "period_end": ts(obj.get("period_end")),
        "paid_at": ts(transitions.get("paid_at")),
        "hosted_invoice_url": obj.get("hosted_invoice_url"),
        "due_date": ts(obj.get("due_date")),
        "attempt_count": obj.get("attempt_count") or 0,
        "next_payment_attempt": ts(obj.get("next_payment_attempt")),
    }


def invoice_payment_intents(obj: dict) -> list[str]:
    """Payment intents that paid this invoice (from the expanded `payments` list)."""
    payments = (obj.get("payments") or {}).get("data") or []
    return [
        p["payment"]["payment_intent"]
        for p in payments
        if (p.get("payment") or {}).get("type") == "payment_intent" and p["payment"].get("payment_intent")
    ]


def charge_row(obj: dict) -> dict:
    card = ((obj.get("payment_method_details") or {}).get("card")) or {}
    return {
        "id": obj["id"],
        "payment_intent_id": _id(obj.get("payment_intent")),
        "customer_id": _id(obj.get("customer")),
        "amount": obj.get("amount") or 0,
        "amount_captured": obj.get("amount_captured") or 0,
        "amount_refunded": obj.get("amount_refunded") or 0,
        "currency": obj["currency"],
        "status": obj.get("status") or "pending",
        "paid": bool(obj.get("paid")),
        "refunded": bool(obj.get("refunded")),
        "card_brand": card.get("brand"),
        "card_last4": card.get("last4"),
        "card_exp_month": card.get("exp_month"),
        "card_exp_year": card.get("exp_year"),
        "created": ts(obj.get("created")),
    }


def refund_row(obj: dict) -> dict:
    return {
        "id": obj["id"],
        "charge_id": _id(obj.get("charge")),
        "payment_intent_id": _id(obj.get("payment_intent")),
        "amount": obj.get("amount") or 0,
        "currency": obj["currency"],
        "status": obj.get("status") or "pending",
        "reason": obj.get("reason"),
        "created": ts(obj.get("created")),
        "stripe_metadata": obj.get("metadata") or {},
    }


def credit_note_row(obj: dict) -> dict:
    refunds = obj.get("refunds") or []
    refund_id = next((_id(r.get("refund")) for r in refunds if isinstance(r, dict) and r.get("refund")), None)
    return {
        "id": obj["id"],
        "invoice_id": _id(obj.get("invoice")) or "",
        "customer_id": _id(obj.get("customer")),
        "number": obj.get("number"),
        "amount": obj.get("total") or obj.get("amount") or 0,
        "currency": obj["currency"],
        "status": obj.get("status") or "issued",
        "type": obj.get("type") or "pre_payment",
        "reason": obj.get("reason"),
        "memo": obj.get("memo"),
        "refund_id": refund_id,
        "created": ts(obj.get("created")),
    }
