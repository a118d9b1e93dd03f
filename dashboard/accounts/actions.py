"""What can be done from Account 360, and why an action cannot be done when it cannot.

Billing corrections open the corrections page with the account, the kind and the object chosen
(`correction_link`); a privacy request for a contact opens the intake with the subject filled in;
a Stripe customer opens in Stripe's own dashboard (a link only: nothing is fetched).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dashboard.access.navigation import can_open, page
from dashboard.billing.corrections.kinds import KIND_LABELS, KINDS
from dashboard.billing.corrections.kinds.base import ACTIVE_SUBSCRIPTION
from dashboard.billing.corrections.kinds.refund import refundable
from dashboard.presentation.text import day, money, words

STRIPE_CUSTOMER_URL = "https://dashboard.stripe.com/customers/{id}"


@dataclass(frozen=True)
class Action:
    key: str  # a correction kind, or "privacy_request"
    label: str
    enabled: bool
    reason: str = ""  # why it is disabled


@dataclass(frozen=True)
class ActionTarget:
    """One object the actions apply to (a payment, an invoice, a subscription, a contact)."""

    id: str
    label: str
    actions: list[Action] = field(default_factory=list)


@dataclass(frozen=True)
class CorrectionLink:
    """Where "Correct billing" goes: the corrections page's query parameters."""

    account_id: int
    kind: str | None = None
    target_id: str | None = None

    def query_params(self) -> dict[str, str]:
        params = {"account": str(self.account_id)}
        if self.kind:
            params["kind"] = self.kind
        if self.target_id:
            params["target"] = self.target_id
        return params


def stripe_customer_url(customer_id: str) -> str:
    return STRIPE_CUSTOMER_URL.format(id=customer_id)


def role_refusal(role: str, key: str) -> str:
    """ "" when the role may open the page, else the reason to show beside a disabled button."""
    if can_open(role, key):
        return ""
    return f"Your role ({words(role)}) cannot open “{page(key).title}”."


def _refund_reason(payment: dict[str, Any]) -> str:
    if payment["status"] != "succeeded":
        return f"This payment {words(payment['status']).lower()}; only successful payments can be refunded."
    if refundable(payment) <= 0:  # as the mirror has it; Stripe is asked again before anything is sent
        return "Already fully refunded."
    return ""


def _kinds_for(resource: str) -> list[str]:
    return [name for name, kind in KINDS.items() if kind.target == resource]


def _action(kind: str, blocked_by_role: str, reason: str) -> Action:
    why = blocked_by_role or reason
    return Action(kind, KIND_LABELS[kind], not why, why)


def payment_targets(payments: list[dict[str, Any]], role: str) -> list[ActionTarget]:
    blocked = role_refusal(role, "corrections")
    return [
        ActionTarget(
            p["id"],
            f"Payment {day(p['created'])} · {money(p['amount'], p['currency'])} · "
            f"refunded {money(p.get('amount_refunded') or 0, p['currency'])} · {p['id']}",
            [_action(kind, blocked, _refund_reason(p)) for kind in _kinds_for("charges")],
        )
        for p in payments
    ]


def invoice_targets(invoices: list[dict[str, Any]], role: str) -> list[ActionTarget]:
    blocked = role_refusal(role, "corrections")

    def reason(kind: str, invoice: dict[str, Any]) -> str:
        allowed = KINDS[kind].invoice_statuses
        if invoice["status"] in allowed:
            return ""
        return f"The invoice is {words(invoice['status']).lower()}; this needs it {' or '.join(allowed)}."

    return [
        ActionTarget(
            i["id"],
            f"Invoice {i['number'] or i['id']} · {words(i['status'])} · {money(i['total'], i['currency'])}",
            [_action(kind, blocked, reason(kind, i)) for kind in _kinds_for("invoices")],
        )
        for i in invoices
    ]


def subscription_targets(
    subscriptions: list[dict[str, Any]], role: str, *, discounted: set[str]
) -> list[ActionTarget]:
    blocked = role_refusal(role, "corrections")

    def reason(kind: str, sub: dict[str, Any]) -> str:
        if sub["status"] not in ACTIVE_SUBSCRIPTION:
            return f"The subscription is {words(sub['status']).lower()}; it cannot be changed."
        if kind == "remove_discount" and sub["id"] not in discounted:
            return "It has no discount."
        return ""

    return [
        ActionTarget(
            s["id"],
            f"Subscription {s['app'] or s['id']} · {s['plan'] or 'no plan'} · "
            f"{words(s['status'])} · {s['id']}",
            [_action(kind, blocked, reason(kind, s)) for kind in _kinds_for("subscriptions")],
        )
        for s in subscriptions
    ]


def contact_targets(contacts: list[dict[str, Any]], role: str) -> list[ActionTarget]:
    blocked = role_refusal(role, "privacy_intake")

    def action(contact: dict[str, Any]) -> Action:
        why = blocked or ("This contact was anonymised." if contact.get("anonymized_at") else "")
        return Action("privacy_request", "Log a privacy request", not why, why)

    return [
        ActionTarget(str(c["id"]), f"{c['name'] or '—'} · {c['email'] or '—'}", [action(c)]) for c in contacts
    ]
