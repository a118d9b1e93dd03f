"""Change one subscription item's quantity or price, with Stripe's proration preview."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from dashboard.billing.corrections.form import Checked, CorrectionForm
from dashboard.billing.corrections.kinds.base import (
    Kind,
    Outcome,
    active_subscription,
    find_subscription_update,
    subscription_outcome,
    update_subscription,
)
from dashboard.billing.corrections.targets import Target
from dashboard.billing.stripe_gateway import StripeGateway
from dashboard.core import clock
from dashboard.core.errors import ValidationError
from models import BillingCorrection, StripePrice


def _check_item_chosen(form: CorrectionForm) -> None:
    if not form.item_id:
        raise ValidationError("Choose the subscription item to change.", field="item_id")


def check_quantity_locally(form: CorrectionForm) -> None:
    _check_item_chosen(form)
    if form.quantity is None or form.quantity < 1:
        raise ValidationError("The quantity must be at least 1.", field="quantity")


def check_price_locally(form: CorrectionForm) -> None:
    _check_item_chosen(form)
    if not form.price_id:
        raise ValidationError("Choose the new price.", field="price_id")


def _item(sub: dict[str, Any], item_id: str) -> dict[str, Any]:
    item = next((i for i in (sub.get("items") or {}).get("data") or [] if i["id"] == item_id), None)
    if item is None:
        raise ValidationError("That item is no longer on the subscription.", field="item_id")
    return item


def _quantity_change(form: CorrectionForm, item: dict[str, Any]) -> dict[str, Any]:
    if form.quantity == item.get("quantity"):
        raise ValidationError(f"The quantity is already {form.quantity}.", field="quantity")
    return {"id": item["id"], "quantity": form.quantity}


def _price_change(
    session: Session, form: CorrectionForm, item: dict[str, Any], currency: str
) -> dict[str, Any]:
    price = session.get(StripePrice, form.price_id)
    if price is None or price.deleted or not price.active:
        raise ValidationError("That price no longer exists or is archived.", field="price_id")
    if price.currency != currency:
        raise ValidationError(
            f"The price is in {price.currency.upper()}, but this subscription is billed in "
            f"{currency.upper()}.",
            field="currency",
        )
    if price.id == item["price"]["id"]:
        raise ValidationError("The item already has this price.", field="price_id")
    return {"id": item["id"], "price": price.id}


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


def check(session: Session, gateway: StripeGateway, form: CorrectionForm, target: Target) -> Checked:
    sub = active_subscription(target)
    item = _item(sub, form.item_id)
    if form.kind == "change_quantity":
        change = _quantity_change(form, item)
    else:
        change = _price_change(session, form, item, target.currency)
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


def send(gateway: StripeGateway, correction: BillingCorrection, key: str) -> Outcome:
    update = correction.params["subscription"]
    sub = update_subscription(gateway, correction, update, key=key)
    return subscription_outcome(sub, {"items": update["items"]})


def find(gateway: StripeGateway, correction: BillingCorrection) -> Outcome | None:
    return find_subscription_update(
        gateway, correction, {"items": correction.params["subscription"]["items"]}
    )


QUANTITY = Kind(
    name="change_quantity",
    label="Change quantity",
    verb="Change quantity",
    target="subscriptions",
    fields=("item", "quantity"),
    check_locally=check_quantity_locally,
    check=check,
    send=send,
    find=find,
)
PRICE = Kind(
    name="change_price",
    label="Change price",
    verb="Change price",
    target="subscriptions",
    fields=("item", "price"),
    check_locally=check_price_locally,
    check=check,
    send=send,
    find=find,
)
