"""Checking a correction form: first what can be checked without Stripe, then against a fresh read.

Nothing is written here. Every refusal is a `ValidationError` naming the form field it belongs to.
The result (`Checked`) carries the exact Stripe request parameters, so that executing, and any retry,
sends the very same request under the same idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session

from dashboard import clock
from dashboard.corrections.rules import (
    CREDIT_OUTCOMES,
    DURATIONS,
    KIND_LABELS,
    REASON_CATEGORIES,
    discount_periods,
)
from dashboard.corrections.targets import Target, open_target
from dashboard.errors import ValidationError
from dashboard.money import format_money, parse_amount
from dashboard.stripe_gateway import StripeGateway
from models import StripeCoupon, StripePrice

MAX_REASON = 2000
ACTIVE_SUBSCRIPTION = ("active", "trialing", "past_due")
CREDITABLE_INVOICE = ("open", "paid")


@dataclass(frozen=True)
class CorrectionForm:
    """What the person filled in. Amounts are typed in major units (\"12.50\")."""

    kind: str
    account_id: int
    target_id: str  # the charge, invoice or subscription
    fingerprint: str  # of the target when the form was opened
    form_token: str  # made when the form was opened; the correction's idempotency key comes from it
    reason_category: str = ""
    reason_text: str = ""
    amount: str = ""
    currency: str = ""
    credit_outcome: str = ""
    coupon_id: str = ""  # an existing coupon, or empty to create one from the fields below
    percent_off: str = ""
    amount_off: str = ""
    duration: str = "once"
    duration_in_months: int | None = None
    discount_id: str = ""
    item_id: str = ""
    quantity: int | None = None
    price_id: str = ""
    proration_date: int | None = None

    @property
    def idempotency_key(self) -> str:
        return f"corr_{self.form_token}"


@dataclass
class Checked:
    """A valid correction, ready to be stored."""

    target: Target
    amount: int | None = None  # minor units of `currency`
    currency: str | None = None
    percent_off: Decimal | None = None
    params: dict[str, Any] = field(default_factory=dict)  # the Stripe request(s), replayed on retry
    preview: dict[str, Any] | None = None  # what Stripe says will happen


def check_locally(form: CorrectionForm) -> None:
    """Everything that needs no Stripe call: reason, amounts, quantities, percentages."""
    if form.kind not in KIND_LABELS:
        raise ValidationError("Choose what to do.", field="kind")
    if not form.target_id:
        raise ValidationError("Choose what the correction applies to.", field="target")
    if form.reason_category not in REASON_CATEGORIES:
        raise ValidationError("Choose a reason category.", field="reason_category")
    if not form.reason_text.strip():
        raise ValidationError(
            "Explain the reason; it is kept with the correction and in the audit log.", field="reason_text"
        )
    if len(form.reason_text) > MAX_REASON:
        raise ValidationError(f"The reason is limited to {MAX_REASON:,} characters.", field="reason_text")
    if form.kind in ("refund", "credit_note"):
        parse_amount(form.amount, form.currency)
    if form.kind == "apply_discount":
        _check_new_coupon(form)
    if form.kind == "remove_discount" and not form.discount_id:
        raise ValidationError("Choose the discount to remove.", field="discount_id")
    if form.kind in ("change_quantity", "change_price") and not form.item_id:
        raise ValidationError("Choose the subscription item to change.", field="item_id")
    if form.kind == "change_quantity" and (form.quantity is None or form.quantity < 1):
        raise ValidationError("The quantity must be at least 1.", field="quantity")
    if form.kind == "change_price" and not form.price_id:
        raise ValidationError("Choose the new price.", field="price_id")


def _percent(text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValidationError("Type a percentage such as 15.", field="percent_off") from None
    if not value.is_finite() or value <= 0:
        raise ValidationError("The discount must be more than 0%.", field="percent_off")
    if value > 100:
        raise ValidationError("A discount cannot be more than 100%.", field="percent_off")
    return value


def _check_new_coupon(form: CorrectionForm) -> None:
    if form.coupon_id:
        return
    if bool(form.percent_off.strip()) == bool(form.amount_off.strip()):
        raise ValidationError(
            "Give either a percentage or an amount off (not both), or choose a coupon.", field="percent_off"
        )
    if form.percent_off.strip():
        _percent(form.percent_off)
    else:
        parse_amount(form.amount_off, form.currency, field="amount_off")
    if form.duration not in DURATIONS:
        raise ValidationError("Choose once, repeating or forever.", field="duration")
    if form.duration == "repeating" and not (form.duration_in_months or 0) >= 1:
        raise ValidationError(
            "A repeating discount needs a number of months (at least 1).", field="duration_in_months"
        )


def check(session: Session, gateway: StripeGateway, form: CorrectionForm) -> Checked:
    """All checks, the Stripe ones against a fresh read of the target; raises ValidationError."""
    check_locally(form)
    target = open_target(gateway, kind=form.kind, object_id=form.target_id)
    if target.fingerprint != form.fingerprint:
        raise ValidationError(
            "This changed in Stripe since you opened the form (someone else may have "
            "corrected it). Reload the form and check the figures again.",
            field="form",
        )
    return _CHECKS[form.kind](session, gateway, form, target)


def _same_currency(form: CorrectionForm, target: Target) -> str:
    if form.currency.lower() != target.currency:
        raise ValidationError(
            f"The amount is in {form.currency.upper() or 'no currency'}, but this is billed in "
            f"{target.currency.upper()}.",
            field="currency",
        )
    return target.currency


def _refund(_session: Session, _gateway: StripeGateway, form: CorrectionForm, target: Target) -> Checked:
    charge = target.object
    currency = _same_currency(form, target)
    amount = parse_amount(form.amount, currency)
    if charge.get("status") != "succeeded":
        raise ValidationError(
            f"This payment is {charge.get('status')}; only successful payments can be refunded.",
            field="target",
        )
    left = (charge.get("amount_captured") or 0) - (charge.get("amount_refunded") or 0)
    if amount > left:
        raise ValidationError(
            f"Stripe says only {format_money(left, currency)} of this payment is still refundable.",
            field="amount",
        )
    return Checked(
        target,
        amount=amount,
        currency=currency,
        params={"refund": {"charge": charge["id"], "amount": amount}},
    )


def _credit_note(_session: Session, gateway: StripeGateway, form: CorrectionForm, target: Target) -> Checked:
    invoice = target.object
    currency = _same_currency(form, target)
    amount = parse_amount(form.amount, currency)
    if invoice.get("status") not in CREDITABLE_INVOICE:
        raise ValidationError(
            f"This invoice is {invoice.get('status')}; credit notes need an open or paid invoice.",
            field="target",
        )
    credited = (invoice.get("pre_payment_credit_notes_amount") or 0) + (
        invoice.get("post_payment_credit_notes_amount") or 0
    )
    left = (invoice.get("total") or 0) - credited
    if amount > left:
        raise ValidationError(
            f"Only {format_money(left, currency)} of this invoice can still be credited.", field="amount"
        )
    request: dict[str, Any] = {"invoice": invoice["id"], "amount": amount}
    if invoice["status"] == "paid":
        if form.credit_outcome not in CREDIT_OUTCOMES:
            raise ValidationError(
                "Say where the money goes: refund, customer balance or out of band.", field="credit_outcome"
            )
        outcome_field = {
            "refund": "refund_amount",
            "credit": "credit_amount",
            "out_of_band": "out_of_band_amount",
        }[form.credit_outcome]
        request[outcome_field] = amount
    preview = gateway.preview_credit_note(request)
    return Checked(
        target,
        amount=amount,
        currency=currency,
        params={"credit_note": request},
        preview=_credit_note_summary(preview),
    )


def _credit_note_summary(note: dict[str, Any]) -> dict[str, Any]:
    return {
        "total": note.get("total"),
        "currency": note.get("currency"),
        "type": note.get("type"),
        "refund_amount": sum(r.get("amount_refunded", 0) for r in note.get("refunds") or []),
        "out_of_band_amount": note.get("out_of_band_amount"),
    }


def _void(_session: Session, _gateway: StripeGateway, _form: CorrectionForm, target: Target) -> Checked:
    invoice = target.object
    if invoice.get("status") != "open":
        raise ValidationError(
            f"This invoice is {invoice.get('status')}; only open invoices can be voided.", field="target"
        )
    return Checked(
        target,
        amount=invoice.get("amount_remaining") or 0,
        currency=target.currency,
        params={"void": {"invoice": invoice["id"]}},
    )


def _active(target: Target) -> dict[str, Any]:
    sub = target.object
    if sub.get("status") not in ACTIVE_SUBSCRIPTION:
        raise ValidationError(
            f"This subscription is {sub.get('status')}; it cannot be changed.", field="target"
        )
    return sub


def _discount_ids(sub: dict[str, Any]) -> list[str]:
    return [d if isinstance(d, str) else d["id"] for d in sub.get("discounts") or []]


def _period_amount(sub: dict[str, Any]) -> tuple[int, int]:
    """What one billing period costs before discounts, and the period length in months."""
    items = (sub.get("items") or {}).get("data") or []
    amount = sum((i["price"].get("unit_amount") or 0) * (i.get("quantity") or 1) for i in items)
    recurring = items[0]["price"].get("recurring") or {} if items else {}
    months = {"year": 12, "month": 1}.get(recurring.get("interval"), 1) * (
        recurring.get("interval_count") or 1
    )
    return amount, months


def _apply_discount(
    session: Session, _gateway: StripeGateway, form: CorrectionForm, target: Target
) -> Checked:
    sub = _active(target)
    currency = target.currency
    if form.coupon_id:
        coupon = session.get(StripeCoupon, form.coupon_id)
        if coupon is None or coupon.deleted or not coupon.valid:
            raise ValidationError("That coupon no longer exists or is no longer valid.", field="coupon_id")
        if coupon.amount_off is not None and coupon.currency != currency:
            raise ValidationError(
                f"The coupon is in {(coupon.currency or '').upper()}, but this subscription is "
                f"billed in {currency.upper()}.",
                field="currency",
            )
        terms = {
            "percent_off": coupon.percent_off,
            "amount_off": coupon.amount_off,
            "duration": coupon.duration,
            "duration_in_months": coupon.duration_in_months,
        }
        params: dict[str, Any] = {"coupon_id": coupon.id}
    else:
        if form.amount_off.strip():
            _same_currency(form, target)
        terms = {
            "percent_off": _percent(form.percent_off) if form.percent_off.strip() else None,
            "amount_off": parse_amount(form.amount_off, currency, field="amount_off")
            if form.amount_off.strip()
            else None,
            "duration": form.duration,
            "duration_in_months": form.duration_in_months if form.duration == "repeating" else None,
        }
        new_coupon = {key: value for key, value in terms.items() if value is not None}
        if "percent_off" in new_coupon:
            new_coupon["percent_off"] = str(new_coupon["percent_off"])
        else:
            new_coupon["currency"] = currency
        params = {"new_coupon": new_coupon}
    params["keep_discounts"] = _discount_ids(sub)
    period_amount, months = _period_amount(sub)
    per_period = (
        terms["amount_off"]
        if terms["amount_off"] is not None
        else int((Decimal(period_amount) * Decimal(terms["percent_off"]) / 100).to_integral_value())
    )
    periods = discount_periods(terms["duration"], terms["duration_in_months"], months)
    percent = Decimal(terms["percent_off"]) if terms["percent_off"] is not None else None
    return Checked(
        target,
        amount=min(per_period, period_amount) * periods,
        currency=currency,
        percent_off=percent,
        params=params,
    )


def _remove_discount(
    _session: Session, _gateway: StripeGateway, form: CorrectionForm, target: Target
) -> Checked:
    sub = _active(target)
    current = _discount_ids(sub)
    if form.discount_id not in current:
        raise ValidationError("This subscription no longer has that discount.", field="discount_id")
    return Checked(
        target,
        currency=target.currency,
        params={
            "discount_id": form.discount_id,
            "keep_discounts": [d for d in current if d != form.discount_id],
        },
    )


def _item(sub: dict[str, Any], item_id: str) -> dict[str, Any]:
    item = next((i for i in (sub.get("items") or {}).get("data") or [] if i["id"] == item_id), None)
    if item is None:
        raise ValidationError("That item is no longer on the subscription.", field="item_id")
    return item


def _change(session: Session, gateway: StripeGateway, form: CorrectionForm, target: Target) -> Checked:
    sub = _active(target)
    item = _item(sub, form.item_id)
    change: dict[str, Any] = {"id": item["id"]}
    if form.kind == "change_quantity":
        if form.quantity == item.get("quantity"):
            raise ValidationError(f"The quantity is already {form.quantity}.", field="quantity")
        change["quantity"] = form.quantity
    else:
        price = session.get(StripePrice, form.price_id)
        if price is None or price.deleted or not price.active:
            raise ValidationError("That price no longer exists or is archived.", field="price_id")
        if price.currency != target.currency:
            raise ValidationError(
                f"The price is in {price.currency.upper()}, but this subscription is billed in "
                f"{target.currency.upper()}.",
                field="currency",
            )
        if price.id == item["price"]["id"]:
            raise ValidationError("The item already has this price.", field="price_id")
        change["price"] = price.id
    proration_date = form.proration_date or clock.epoch_seconds()
    update = {"items": [change], "proration_behavior": "create_prorations", "proration_date": proration_date}
    preview = gateway.preview_invoice(
        {"subscription": sub["id"], "customer": sub["customer"], "subscription_details": update}
    )
    summary = proration_summary(preview)
    return Checked(
        target,
        amount=summary["total"],
        currency=target.currency,
        params={"subscription": update},
        preview=summary,
    )


def proration_summary(invoice: dict[str, Any]) -> dict[str, Any]:
    """The proration lines of a preview invoice and their total (positive: the customer pays more)."""
    lines = []
    for line in (invoice.get("lines") or {}).get("data") or []:
        details = (line.get("parent") or {}).get("subscription_item_details") or {}
        if details.get("proration"):
            lines.append({"description": line.get("description"), "amount": line.get("amount") or 0})
    return {
        "currency": invoice.get("currency"),
        "lines": lines,
        "total": sum(line["amount"] for line in lines),
        "amount_due": invoice.get("amount_due"),
    }


_CHECKS = {
    "refund": _refund,
    "credit_note": _credit_note,
    "void_invoice": _void,
    "apply_discount": _apply_discount,
    "remove_discount": _remove_discount,
    "change_quantity": _change,
    "change_price": _change,
}
