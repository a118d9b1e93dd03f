"""Sending a stored correction to Stripe and writing what came back into the mirror.

Each Stripe write carries the correction's idempotency key (a suffix per step when a correction takes
two writes), so any retry, by stripe-python or by a person, is the same request to Stripe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from dashboard.stripe_gateway import StripeGateway
from dashboard.stripe_sync.apply import PageApplier, SyncCounts
from models import BillingCorrection
from models.types import utcnow


@dataclass
class Outcome:
    """The id to show (refund, credit note, subscription or invoice) and the objects for the mirror."""

    result_id: str
    summary: dict[str, Any]
    mirror: dict[str, list[dict]] = field(default_factory=dict)


def perform(gateway: StripeGateway, correction: BillingCorrection) -> Outcome:
    return _PERFORM[correction.kind](gateway, correction)


def update_mirror(session: Session, outcome: Outcome) -> None:
    applier = PageApplier(session, SyncCounts(), now=utcnow())
    for resource, objects in outcome.mirror.items():
        applier.apply(resource, objects)


def _metadata(correction: BillingCorrection) -> dict[str, str]:
    return {"console_correction_id": str(correction.id)}


def _refund(gateway: StripeGateway, correction: BillingCorrection) -> Outcome:
    params = {**correction.params["refund"], "metadata": _metadata(correction)}
    refund = gateway.create_refund(params, idempotency_key=correction.idempotency_key)
    charge = gateway.retrieve("charges", refund["charge"])
    return Outcome(
        refund["id"],
        {"refund": refund["id"], "amount": refund["amount"], "status": refund["status"]},
        {"refunds": [refund], "charges": [charge]},
    )


def _credit_note(gateway: StripeGateway, correction: BillingCorrection) -> Outcome:
    params = {**correction.params["credit_note"], "metadata": _metadata(correction)}
    note = gateway.create_credit_note(params, idempotency_key=correction.idempotency_key)
    mirror: dict[str, list[dict]] = {
        "credit_notes": [note],
        "invoices": [gateway.retrieve("invoices", note["invoice"])],
    }
    refund_ids = [
        r["refund"] if isinstance(r["refund"], str) else r["refund"]["id"] for r in note.get("refunds") or []
    ]
    if refund_ids:
        refunds = [gateway.retrieve("refunds", refund_id) for refund_id in refund_ids]
        mirror["refunds"] = refunds
        mirror["charges"] = [gateway.retrieve("charges", r["charge"]) for r in refunds if r.get("charge")]
    return Outcome(
        note["id"], {"credit_note": note["id"], "total": note.get("total"), "refunds": refund_ids}, mirror
    )


def _subscription_update(
    gateway: StripeGateway,
    correction: BillingCorrection,
    params: dict[str, Any],
    mirror: dict[str, list[dict]],
    summary: dict[str, Any],
) -> Outcome:
    sub = gateway.update_subscription(
        correction.subscription_id or "",
        {**params, "metadata": _metadata(correction), "expand": ["discounts"]},
        idempotency_key=correction.idempotency_key,
    )
    return Outcome(sub["id"], {**summary, "subscription": sub["id"]}, {**mirror, "subscriptions": [sub]})


def _apply_discount(gateway: StripeGateway, correction: BillingCorrection) -> Outcome:
    mirror: dict[str, list[dict]] = {}
    coupon_id = correction.params.get("coupon_id")
    if coupon_id is None:
        coupon = gateway.create_coupon(
            correction.params["new_coupon"], idempotency_key=f"{correction.idempotency_key}:coupon"
        )
        coupon_id = coupon["id"]
        mirror["coupons"] = [coupon]
    discounts = [{"discount": d} for d in correction.params["keep_discounts"]] + [{"coupon": coupon_id}]
    return _subscription_update(gateway, correction, {"discounts": discounts}, mirror, {"coupon": coupon_id})


def _remove_discount(gateway: StripeGateway, correction: BillingCorrection) -> Outcome:
    kept = [{"discount": d} for d in correction.params["keep_discounts"]]
    return _subscription_update(
        gateway,
        correction,
        {"discounts": kept or ""},
        {},
        {"removed_discount": correction.params["discount_id"]},
    )


def _change(gateway: StripeGateway, correction: BillingCorrection) -> Outcome:
    return _subscription_update(
        gateway,
        correction,
        correction.params["subscription"],
        {},
        {"items": correction.params["subscription"]["items"]},
    )


def _void(gateway: StripeGateway, correction: BillingCorrection) -> Outcome:
    invoice = gateway.void_invoice(correction.invoice_id or "", idempotency_key=correction.idempotency_key)
    return Outcome(
        invoice["id"], {"invoice": invoice["id"], "status": invoice["status"]}, {"invoices": [invoice]}
    )


_PERFORM = {
    "refund": _refund,
    "credit_note": _credit_note,
    "void_invoice": _void,
    "apply_discount": _apply_discount,
    "remove_discount": _remove_discount,
    "change_quantity": _change,
    "change_price": _change,
}
