"""What every kind of correction provides (`Kind`), and the helpers several kinds share.

A kind holds its own local checks, its checks against a fresh Stripe read (with any preview), the
Stripe call that carries it out, the search that finds its result in Stripe when an answer was lost
(by the `console_correction_id` metadata every write carries), and the reads that refresh the mirror.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from dashboard.billing.corrections.form import Checked, CorrectionForm
from dashboard.billing.corrections.targets import Target
from dashboard.billing.stripe_gateway import StripeGateway
from dashboard.core.errors import ValidationError
from models import BillingCorrection

ACTIVE_SUBSCRIPTION = ("active", "trialing", "past_due")
METADATA_KEY = "console_correction_id"


@dataclass(frozen=True)
class Outcome:
    """The id to show (refund, credit note, subscription or invoice) and the objects for the mirror."""

    result_id: str
    summary: dict[str, Any]
    mirror: dict[str, list[dict]] = field(default_factory=dict)


Mirror = dict[str, list[dict]]


def no_local_checks(_form: CorrectionForm) -> None:
    return None


def nothing_related(_gateway: StripeGateway, _correction: BillingCorrection) -> Mirror:
    return {}


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # the action menu
    verb: str  # the submit button: "Refund" -> "Refund €1.50"
    target: str  # the Stripe collection the form acts on: charges, invoices or subscriptions
    fields: tuple[str, ...]  # the form fields the page shows for this kind (besides the reason)
    check: Callable[[Session, StripeGateway, CorrectionForm, Target], Checked]
    send: Callable[[StripeGateway, BillingCorrection, str], Outcome]  # the write(s), with this key
    find: Callable[[StripeGateway, BillingCorrection], Outcome | None]  # its result in Stripe, if any
    check_locally: Callable[[CorrectionForm], None] = no_local_checks
    related: Callable[[StripeGateway, BillingCorrection], Mirror] = nothing_related  # mirror re-reads
    invoice_statuses: tuple[str, ...] = ()  # for invoice targets: the statuses the form offers


def metadata(correction: BillingCorrection) -> dict[str, str]:
    return {METADATA_KEY: str(correction.id)}


def made_by(obj: dict[str, Any], correction: BillingCorrection) -> bool:
    return (obj.get("metadata") or {}).get(METADATA_KEY) == str(correction.id)


def same_currency(form: CorrectionForm, target: Target) -> str:
    if form.currency.lower() != target.currency:
        raise ValidationError(
            f"The amount is in {form.currency.upper() or 'no currency'}, but this is billed in "
            f"{target.currency.upper()}.",
            field="currency",
        )
    return target.currency


def active_subscription(target: Target) -> dict[str, Any]:
    sub = target.object
    if sub.get("status") not in ACTIVE_SUBSCRIPTION:
        raise ValidationError(
            f"This subscription is {sub.get('status')}; it cannot be changed.", field="target"
        )
    return sub


def discount_ids(sub: dict[str, Any]) -> list[str]:
    return [d if isinstance(d, str) else d["id"] for d in sub.get("discounts") or []]


def update_subscription(
    gateway: StripeGateway, correction: BillingCorrection, params: dict[str, Any], *, key: str
) -> dict[str, Any]:
    """The subscription update a correction makes, tagged with the correction's id."""
    return gateway.update_subscription(
        correction.subscription_id or "",
        {**params, "metadata": metadata(correction), "expand": ["discounts"]},
        idempotency_key=key,
    )


def find_subscription_update(
    gateway: StripeGateway, correction: BillingCorrection, summary: dict[str, Any]
) -> Outcome | None:
    """The subscription as this correction left it, when its metadata names this correction."""
    sub = gateway.retrieve("subscriptions", correction.subscription_id or "")
    if not made_by(sub, correction):
        return None
    return subscription_outcome(sub, summary)


def subscription_outcome(
    sub: dict[str, Any], summary: dict[str, Any], mirror: Mirror | None = None
) -> Outcome:
    return Outcome(
        sub["id"], {**summary, "subscription": sub["id"]}, {**(mirror or {}), "subscriptions": [sub]}
    )
