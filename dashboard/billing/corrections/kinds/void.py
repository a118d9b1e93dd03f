"""Void an open invoice (`POST /v1/invoices/{id}/void`)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from dashboard.billing.corrections.form import Checked, CorrectionForm
from dashboard.billing.corrections.kinds.base import Kind, Outcome
from dashboard.billing.corrections.targets import Target
from dashboard.billing.stripe_gateway import StripeGateway
from dashboard.core.errors import ValidationError
from models import BillingCorrection


def check(_session: Session, _gateway: StripeGateway, _form: CorrectionForm, target: Target) -> Checked:
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


def _outcome(invoice: dict[str, Any]) -> Outcome:
    return Outcome(
        invoice["id"], {"invoice": invoice["id"], "status": invoice["status"]}, {"invoices": [invoice]}
    )


def send(gateway: StripeGateway, correction: BillingCorrection, key: str) -> Outcome:
    return _outcome(gateway.void_invoice(correction.invoice_id or "", idempotency_key=key))


def find(gateway: StripeGateway, correction: BillingCorrection) -> Outcome | None:
    """Voiding is final: a void invoice is this correction's result (Stripe keeps no metadata for it)."""
    invoice = gateway.retrieve("invoices", correction.invoice_id or "")
    return _outcome(invoice) if invoice.get("status") == "void" else None


KIND = Kind(
    name="void_invoice",
    label="Void an open invoice",
    verb="Void invoice",
    target="invoices",
    fields=(),
    check=check,
    send=send,
    find=find,
    invoice_statuses=("open",),
)
