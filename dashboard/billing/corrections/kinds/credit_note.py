"""A credit note on an open or paid invoice (preview, then `POST /v1/credit_notes`)."""

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

CREDITABLE_INVOICE = ("open", "paid")
CREDIT_OUTCOMES = {
    "refund": "Refund to the card",
    "credit": "Credit the customer's balance",
    "out_of_band": "Settled outside Stripe (out of band)",
}
OUTCOME_FIELDS = {"refund": "refund_amount", "credit": "credit_amount", "out_of_band": "out_of_band_amount"}


def check_locally(form: CorrectionForm) -> None:
    parse_amount(form.amount, form.currency)


def check(_session: Session, gateway: StripeGateway, form: CorrectionForm, target: Target) -> Checked:
    invoice = target.object
    currency = same_currency(form, target)
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
        request[OUTCOME_FIELDS[form.credit_outcome]] = amount
    preview = gateway.preview_credit_note(request)
    return Checked(
        target, amount=amount, currency=currency, params={"credit_note": request}, preview=_summary(preview)
    )


def _summary(note: dict[str, Any]) -> dict[str, Any]:
    return {
        "total": note.get("total"),
        "currency": note.get("currency"),
        "type": note.get("type"),
        "refund_amount": sum(r.get("amount_refunded", 0) for r in note.get("refunds") or []),
        "out_of_band_amount": note.get("out_of_band_amount"),
    }


def _refund_ids(note: dict[str, Any]) -> list[str]:
    return [
        r["refund"] if isinstance(r["refund"], str) else r["refund"]["id"] for r in note.get("refunds") or []
    ]


def _outcome(note: dict[str, Any]) -> Outcome:
    summary = {"credit_note": note["id"], "total": note.get("total"), "refunds": _refund_ids(note)}
    return Outcome(note["id"], summary, {"credit_notes": [note]})


def send(gateway: StripeGateway, correction: BillingCorrection, key: str) -> Outcome:
    params = {**correction.params["credit_note"], "metadata": metadata(correction)}
    return _outcome(gateway.create_credit_note(params, idempotency_key=key))


def find(gateway: StripeGateway, correction: BillingCorrection) -> Outcome | None:
    notes = gateway.invoice_credit_notes(correction.invoice_id or "")
    mine = [n for n in notes if made_by(n, correction)]
    return _outcome(mine[0]) if mine else None


def related(gateway: StripeGateway, correction: BillingCorrection) -> Mirror:
    """The invoice, and the refunds the note made with the charges they came from."""
    mirror: Mirror = {"invoices": [gateway.retrieve("invoices", correction.invoice_id or "")]}
    refunds = [gateway.retrieve("refunds", refund_id) for refund_id in correction.result.get("refunds") or []]
    if refunds:
        mirror["refunds"] = refunds
        mirror["charges"] = [gateway.retrieve("charges", r["charge"]) for r in refunds if r.get("charge")]
    return mirror


KIND = Kind(
    name="credit_note",
    label="Credit note on an invoice",
    verb="Credit",
    target="invoices",
    fields=("amount", "credit_outcome"),
    check_locally=check_locally,
    check=check,
    send=send,
    find=find,
    related=related,
    invoice_statuses=CREDITABLE_INVOICE,
)
