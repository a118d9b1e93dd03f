"""Refund a successful payment, fully or in part (`POST /v1/refunds`)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from dashboard.billing.corrections.form import Checked, CorrectionForm
from dashboard.billing.corrections.kinds.base import Kind, Mirror, Outcome, made_by, metadata, same_currency
from dashboard.billing.corrections.targets import Target
from dashboard.billing.stripe_gateway import StripeGateway
from dashboard.core.errors import ValidationError
from dashboard.core.money import format_money, parse_amount
from models import BillingCorrection


def refundable(charge: dict[str, Any]) -> int:
    """What is left to refund of a charge as Stripe returned it: captured less refunded."""
    return (charge.get("amount_captured") or 0) - (charge.get("amount_refunded") or 0)


def check_locally(form: CorrectionForm) -> None:
    parse_amount(form.amount, form.currency)


def check(_session: Session, _gateway: StripeGateway, form: CorrectionForm, target: Target) -> Checked:
    charge = target.object
    currency = same_currency(form, target)
    amount = parse_amount(form.amount, currency)
    if charge.get("status") != "succeeded":
        raise ValidationError(
            f"This payment is {charge.get('status')}; only successful payments can be refunded.",
            field="target",
        )
    left = refundable(charge)
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


def _outcome(refund: dict[str, Any]) -> Outcome:
    summary = {"refund": refund["id"], "amount": refund["amount"], "status": refund["status"]}
    return Outcome(refund["id"], summary, {"refunds": [refund]})


def send(gateway: StripeGateway, correction: BillingCorrection, key: str) -> Outcome:
    params = {**correction.params["refund"], "metadata": metadata(correction)}
    return _outcome(gateway.create_refund(params, idempotency_key=key))


def find(gateway: StripeGateway, correction: BillingCorrection) -> Outcome | None:
    mine = [r for r in gateway.charge_refunds(correction.payment_id or "") if made_by(r, correction)]
    return _outcome(mine[0]) if mine else None


def related(gateway: StripeGateway, correction: BillingCorrection) -> Mirror:
    return {"charges": [gateway.retrieve("charges", correction.payment_id or "")]}


KIND = Kind(
    name="refund",
    label="Refund a payment",
    verb="Refund",
    target="charges",
    fields=("amount",),
    check_locally=check_locally,
    check=check,
    send=send,
    find=find,
    related=related,
)
