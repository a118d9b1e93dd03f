"""Apply a discount (an existing coupon, or a new one) to a subscription, or remove one.

A new coupon gets the correction's own id (its form's idempotency key), so a second attempt finds it
instead of making another; the subscription update carries the correction id in its metadata.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session

from dashboard.billing.corrections.form import Checked, CorrectionForm
from dashboard.billing.corrections.kinds.base import (
    Kind,
    Outcome,
    active_subscription,
    discount_ids,
    find_subscription_update,
    same_currency,
    subscription_outcome,
    update_subscription,
)
from dashboard.billing.corrections.targets import Target
from dashboard.billing.stripe_gateway import StripeGateway, StripeGatewayError
from dashboard.core.errors import ValidationError
from dashboard.core.money import parse_amount
from models import BillingCorrection, StripeCoupon

DURATIONS = ("once", "repeating", "forever")
# A `forever` discount is valued over one year of billing periods when compared with the threshold.
FOREVER_MONTHS = 12


def discount_periods(duration: str, duration_in_months: int | None, interval_months: int) -> int:
    """How many billing periods a coupon reduces (forever counts as one year)."""
    months = {"once": interval_months, "repeating": duration_in_months or 1, "forever": FOREVER_MONTHS}[
        duration
    ]
    return max(1, -(-months // max(interval_months, 1)))


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


def check_apply_locally(form: CorrectionForm) -> None:
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


def _period_amount(sub: dict[str, Any]) -> tuple[int, int]:
    """What one billing period costs before discounts, and the period length in months."""
    items = (sub.get("items") or {}).get("data") or []
    amount = sum((i["price"].get("unit_amount") or 0) * (i.get("quantity") or 1) for i in items)
    recurring = items[0]["price"].get("recurring") or {} if items else {}
    months = {"year": 12, "month": 1}.get(recurring.get("interval"), 1) * (
        recurring.get("interval_count") or 1
    )
    return amount, months


def _existing_coupon_terms(session: Session, form: CorrectionForm, currency: str) -> dict[str, Any]:
    coupon = session.get(StripeCoupon, form.coupon_id)
    if coupon is None or coupon.deleted or not coupon.valid:
        raise ValidationError("That coupon no longer exists or is no longer valid.", field="coupon_id")
    if coupon.amount_off is not None and coupon.currency != currency:
        raise ValidationError(
            f"The coupon is in {(coupon.currency or '').upper()}, but this subscription is "
            f"billed in {currency.upper()}.",
            field="currency",
        )
    return {
        "percent_off": coupon.percent_off,
        "amount_off": coupon.amount_off,
        "duration": coupon.duration,
        "duration_in_months": coupon.duration_in_months,
    }


def _new_coupon_terms(form: CorrectionForm, target: Target) -> dict[str, Any]:
    if form.amount_off.strip():
        same_currency(form, target)
    return {
        "percent_off": _percent(form.percent_off) if form.percent_off.strip() else None,
        "amount_off": parse_amount(form.amount_off, target.currency, field="amount_off")
        if form.amount_off.strip()
        else None,
        "duration": form.duration,
        "duration_in_months": form.duration_in_months if form.duration == "repeating" else None,
    }


def _new_coupon(form: CorrectionForm, terms: dict[str, Any], currency: str) -> dict[str, Any]:
    coupon = {key: value for key, value in terms.items() if value is not None}
    if "percent_off" in coupon:
        coupon["percent_off"] = str(coupon["percent_off"])
    else:
        coupon["currency"] = currency
    return {"id": form.idempotency_key, **coupon}


def check_apply(session: Session, _gateway: StripeGateway, form: CorrectionForm, target: Target) -> Checked:
    sub = active_subscription(target)
    currency = target.currency
    if form.coupon_id:
        terms = _existing_coupon_terms(session, form, currency)
        params: dict[str, Any] = {"coupon_id": form.coupon_id}
    else:
        terms = _new_coupon_terms(form, target)
        params = {"new_coupon": _new_coupon(form, terms, currency)}
    params["keep_discounts"] = discount_ids(sub)
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


def _coupon(gateway: StripeGateway, correction: BillingCorrection, key: str) -> tuple[str, list[dict]]:
    """The coupon to apply: the chosen one, or the new one (found by its id if an earlier try made it)."""
    coupon_id = correction.params.get("coupon_id")
    if coupon_id is not None:
        return coupon_id, []
    wanted = correction.params["new_coupon"]
    try:
        coupon = gateway.retrieve("coupons", wanted["id"])
    except StripeGatewayError as error:
        if error.kind != "not_found":
            raise
        coupon = gateway.create_coupon(wanted, idempotency_key=f"{key}:coupon")
    return coupon["id"], [coupon]


def send_apply(gateway: StripeGateway, correction: BillingCorrection, key: str) -> Outcome:
    coupon_id, coupons = _coupon(gateway, correction, key)
    discounts = [{"discount": d} for d in correction.params["keep_discounts"]] + [{"coupon": coupon_id}]
    sub = update_subscription(gateway, correction, {"discounts": discounts}, key=key)
    return subscription_outcome(sub, {"coupon": coupon_id}, {"coupons": coupons} if coupons else None)


def find_apply(gateway: StripeGateway, correction: BillingCorrection) -> Outcome | None:
    coupon_id = correction.params.get("coupon_id") or correction.params["new_coupon"]["id"]
    return find_subscription_update(gateway, correction, {"coupon": coupon_id})


def check_remove_locally(form: CorrectionForm) -> None:
    if not form.discount_id:
        raise ValidationError("Choose the discount to remove.", field="discount_id")


def check_remove(_session: Session, _gateway: StripeGateway, form: CorrectionForm, target: Target) -> Checked:
    current = discount_ids(active_subscription(target))
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


def send_remove(gateway: StripeGateway, correction: BillingCorrection, key: str) -> Outcome:
    kept = [{"discount": d} for d in correction.params["keep_discounts"]]
    sub = update_subscription(gateway, correction, {"discounts": kept or ""}, key=key)
    return subscription_outcome(sub, {"removed_discount": correction.params["discount_id"]})


def find_remove(gateway: StripeGateway, correction: BillingCorrection) -> Outcome | None:
    return find_subscription_update(
        gateway, correction, {"removed_discount": correction.params["discount_id"]}
    )


APPLY = Kind(
    name="apply_discount",
    label="Apply a discount",
    verb="Apply discount",
    target="subscriptions",
    fields=("coupon",),
    check_locally=check_apply_locally,
    check=check_apply,
    send=send_apply,
    find=find_apply,
)
REMOVE = Kind(
    name="remove_discount",
    label="Remove a discount",
    verb="Remove discount",
    target="subscriptions",
    fields=("discount",),
    check_locally=check_remove_locally,
    check=check_remove,
    send=send_remove,
    find=find_remove,
)
