"""Stripe: customers with exactly the subject's email, their subscriptions, invoices, payments, refunds.

Cards appear as brand and last four digits only; money stays in minor units with its currency.
"""

from __future__ import annotations

from typing import Any

from dashboard.billing.stripe_gateway import StripeGateway
from dashboard.privacy.exports.parts import Progress, SourcePart, iso
from dashboard.privacy.exports.systems import same_email


def find_customers(gateway: StripeGateway, email: str) -> tuple[list[dict], list[dict]]:
    """(exact matches, near matches) of Stripe's fuzzy email search."""
    found = gateway.search_customers_by_email(email)
    exact = [c for c in found if same_email(c.get("email"), email)]
    near = [c for c in found if not same_email(c.get("email"), email)]
    return exact, near


def collect_stripe(gateway: StripeGateway, email: str, progress: Progress) -> SourcePart:
    progress(0.0, "Searching Stripe customers for the email")
    exact, near = find_customers(gateway, email)
    part = SourcePart(
        categories={
            name: []
            for name in (
                "stripe_customers",
                "stripe_subscriptions",
                "stripe_invoices",
                "stripe_payments",
                "stripe_refunds",
            )
        }
    )
    part.near_matches = [
        {"system": "stripe", "where": "customers", "id": c["id"], "email": c.get("email")} for c in near
    ]
    for index, customer in enumerate(exact):
        progress((index + 0.5) / len(exact), f"Reading customer {index + 1} of {len(exact)}")
        _collect_customer(gateway, customer, part)
    progress(1.0, "Stripe done")
    return part


def _owned(objects: list[dict], customer_id: str) -> list[dict]:
    return [o for o in objects if o.get("customer") == customer_id]


def _collect_customer(gateway: StripeGateway, customer: dict, part: SourcePart) -> None:
    cid = customer["id"]
    part.categories["stripe_customers"].append(
        {
            "customer_id": cid,
            "email": customer.get("email"),
            "name": customer.get("name"),
            "phone": customer.get("phone"),
            "address": _address(customer.get("address")),
            "created": iso(customer.get("created")),
            "currency": customer.get("currency"),
            "preferred_locales": ", ".join(customer.get("preferred_locales") or []),
        }
    )
    for sub in _owned(gateway.customer_objects("subscriptions", cid), cid):
        items = (sub.get("items") or {}).get("data") or []
        part.categories["stripe_subscriptions"].append(
            {
                "subscription_id": sub["id"],
                "customer_id": cid,
                "status": sub.get("status"),
                "currency": sub.get("currency"),
                "created": iso(sub.get("created")),
                "canceled_at": iso(sub.get("canceled_at")),
                "ended_at": iso(sub.get("ended_at")),
                "items": "; ".join(
                    f"{(i.get('price') or {}).get('id')} x {i.get('quantity')}" for i in items
                ),
            }
        )
    for invoice in _owned(gateway.customer_objects("invoices", cid), cid):
        part.categories["stripe_invoices"].append(
            {
                "invoice_id": invoice["id"],
                "customer_id": cid,
                "number": invoice.get("number"),
                "status": invoice.get("status"),
                "currency": invoice.get("currency"),
                "total_minor": invoice.get("total"),
                "amount_paid_minor": invoice.get("amount_paid"),
                "created": iso(invoice.get("created")),
            }
        )
    for charge in _owned(gateway.customer_objects("charges", cid), cid):
        card = ((charge.get("payment_method_details") or {}).get("card")) or {}
        part.categories["stripe_payments"].append(
            {
                "charge_id": charge["id"],
                "customer_id": cid,
                "payment_intent": charge.get("payment_intent"),
                "status": charge.get("status"),
                "amount_minor": charge.get("amount"),
                "amount_refunded_minor": charge.get("amount_refunded"),
                "currency": charge.get("currency"),
                "created": iso(charge.get("created")),
                "card_brand": card.get("brand"),
                "card_last4": card.get("last4"),
            }
        )
        if charge.get("amount_refunded") or charge.get("refunded"):
            part.categories["stripe_refunds"].extend(
                {
                    "refund_id": r["id"],
                    "charge_id": charge["id"],
                    "status": r.get("status"),
                    "amount_minor": r.get("amount"),
                    "currency": r.get("currency"),
                    "reason": r.get("reason"),
                    "created": iso(r.get("created")),
                }
                for r in gateway.charge_refunds(charge["id"])
            )


def _address(address: Any) -> str | None:
    if not isinstance(address, dict):
        return None
    parts = [address.get(k) for k in ("line1", "line2", "postal_code", "city", "state", "country")]
    return ", ".join(str(p) for p in parts if p) or None
