"""Stripe simulator routes for billing corrections: refunds, credit notes (and their preview), coupons,
subscription updates (discounts, quantity, price), the proration preview and voiding invoices.

Registered the documented way (`@route`) when this module is imported (the package __init__ does).
Amounts follow Stripe's rules closely enough for the console's checks to be meaningful: a refund
above what is left on the charge is refused, a credit note on a paid invoice must say where the money
goes, only open invoices can be voided, prorations are computed per second of the item's period.
"""

from __future__ import annotations

import re
from typing import Any

from dashboard.simulators.stripe import Request, StripeSimulator, route, stripe_error

CREDITABLE_STATUSES = ("open", "paid")


def indexed(request: Request, prefix: str) -> list[dict[str, str]]:
    """`prefix[0][id]=a&prefix[0][quantity]=2` -> [{"id": "a", "quantity": "2"}]."""
    pattern = re.compile(rf"^{re.escape(prefix)}\[(\d+)\]\[(\w+)\]$")
    rows: dict[int, dict[str, str]] = {}
    for key, value in request.form.items():
        found = pattern.match(key)
        if found:
            rows.setdefault(int(found.group(1)), {})[found.group(2)] = value
    return [rows[i] for i in sorted(rows)]


def refundable(charge: dict) -> int:
    return charge["amount_captured"] - charge.get("amount_refunded", 0)


def make_refund(fake: StripeSimulator, charge: dict, amount: int, metadata: dict[str, str]) -> dict:
    refund = fake.add(
        "refunds",
        fake.make(
            "refund",
            charge=charge["id"],
            amount=amount,
            currency=charge["currency"],
            payment_intent=charge["payment_intent"],
            status="succeeded",
            metadata=metadata,
            reason=None,
        ),
    )
    fake.emit("refund.created", refund)
    refunded = charge.get("amount_refunded", 0) + amount
    fake.update(
        "charges",
        charge["id"],
        "charge.refunded",
        amount_refunded=refunded,
        refunded=refunded >= charge["amount_captured"],
    )
    return refund


def metadata_of(request: Request) -> dict[str, str]:
    return {
        key[len("metadata[") : -1]: value
        for key, value in request.form.items()
        if key.startswith("metadata[")
    }


@route("POST", r"/v1/refunds")
def create_refund(fake: StripeSimulator, request: Request) -> tuple[int, dict]:
    charge = fake.get("charges", request.form.get("charge", ""))
    if charge is None:
        return stripe_error(404, f"No such charge: '{request.form.get('charge')}'", code="resource_missing")
    amount = int(request.form.get("amount") or refundable(charge))
    if amount <= 0 or amount > refundable(charge):
        return stripe_error(
            400,
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({refundable(charge)})",
            code="amount_too_large",
        )
    return 200, make_refund(fake, charge, amount, metadata_of(request))


def _invoice_charge(fake: StripeSimulator, invoice: dict) -> dict | None:
    intents = [p["payment"].get("payment_intent") for p in (invoice.get("payments") or {}).get("data", [])]
    return next((c for c in fake.store["charges"].values() if c.get("payment_intent") in intents), None)


def _credit_note(fake: StripeSimulator, request: Request) -> tuple[int, dict, dict | None]:
    """Validate a credit note request as Stripe would; returns (status, note or error, invoice)."""
    invoice = fake.get("invoices", request.param("invoice") or "")
    if invoice is None:
        return (
            *stripe_error(404, f"No such invoice: '{request.param('invoice')}'", code="resource_missing"),
            None,
        )
    if invoice["status"] not in CREDITABLE_STATUSES:
        return (*stripe_error(400, f"You can't create a credit note on a {invoice['status']} invoice."), None)
    amount = int(request.param("amount") or 0)
    parts = {
        name: int(request.param(name) or 0)
        for name in ("refund_amount", "credit_amount", "out_of_band_amount")
    }
    credited = invoice.get("post_payment_credit_notes_amount", 0) + invoice.get(
        "pre_payment_credit_notes_amount", 0
    )
    if amount <= 0 or amount > invoice["total"] - credited:
        return (*stripe_error(400, "The credit note amount exceeds the amount left on the invoice."), None)
    post_payment = invoice["status"] == "paid"
    if post_payment and sum(parts.values()) != amount:
        return (
            *stripe_error(
                400,
                "refund_amount + credit_amount + out_of_band_amount must equal the "
                "credit note total for a paid invoice.",
            ),
            None,
        )
    note = fake.make(
        "credit_note",
        invoice=invoice["id"],
        customer=invoice["customer"],
        currency=invoice["currency"],
        amount=amount,
        total=amount,
        subtotal=amount,
        type="post_payment" if post_payment else "pre_payment",
        status="issued",
        reason=request.param("reason"),
        memo=request.param("memo"),
        out_of_band_amount=parts["out_of_band_amount"] or None,
        refunds=[],
        lines=None,
        metadata=metadata_of(request),
        number=f"{invoice.get('number') or 'CN'}-CN",
    )
    return 200, note, invoice


@route("GET", r"/v1/credit_notes/preview")
def preview_credit_note(fake: StripeSimulator, request: Request) -> tuple[int, dict]:
    status, body, _invoice = _credit_note(fake, request)
    if status == 200:
        body["id"] = "cn_preview"
    return status, body


@route("POST", r"/v1/credit_notes")
def create_credit_note(fake: StripeSimulator, request: Request) -> tuple[int, dict]:
    status, note, invoice = _credit_note(fake, request)
    if invoice is None:
        return status, note
    refund_amount = int(request.param("refund_amount") or 0)
    if refund_amount:
        charge = _invoice_charge(fake, invoice)
        if charge is None or refundable(charge) < refund_amount:
            return stripe_error(400, "The invoice's payment cannot be refunded by that much.")
        refund = make_refund(fake, charge, refund_amount, {})
        note["refunds"] = [{"refund": refund["id"], "amount_refunded": refund_amount}]
    credit_amount = int(request.param("credit_amount") or 0)
    if credit_amount:
        customer = fake.get("customers", invoice["customer"])
        if customer is not None:
            fake.update(
                "customers",
                customer["id"],
                "customer.updated",
                balance=customer.get("balance", 0) - credit_amount,
            )
    fake.add("credit_notes", note)
    fake.emit("credit_note.created", note)
    if note["type"] == "post_payment":
        changes: dict[str, Any] = {
            "post_payment_credit_notes_amount": invoice.get("post_payment_credit_notes_amount", 0)
            + note["total"]
        }
    else:
        remaining = invoice["amount_remaining"] - note["total"]
        changes = {
            "pre_payment_credit_notes_amount": invoice.get("pre_payment_credit_notes_amount", 0)
            + note["total"],
            "amount_due": remaining,
            "amount_remaining": remaining,
        }
    fake.update("invoices", invoice["id"], "invoice.updated", **changes)
    return 200, note


@route("POST", r"/v1/coupons")
def create_coupon(fake: StripeSimulator, request: Request) -> tuple[int, dict]:
    percent = request.param("percent_off")
    amount = request.param("amount_off")
    if (percent is None) == (amount is None):
        return stripe_error(400, "Provide exactly one of percent_off or amount_off.")
    if percent is not None and not 0 < float(percent) <= 100:
        return stripe_error(400, "percent_off must be between 0 and 100.")
    months = request.param("duration_in_months")
    wanted_id = request.param("id")
    if wanted_id and fake.get("coupons", wanted_id) is not None:
        return stripe_error(400, "Coupon already exists.", code="resource_already_exists")
    coupon = fake.add_coupon(
        **({"id": wanted_id} if wanted_id else {}),
        percent_off=float(percent) if percent is not None else None,
        amount_off=int(amount) if amount is not None else None,
        currency=request.param("currency"),
        duration=request.param("duration", "once"),
        duration_in_months=int(months) if months else None,
        name=request.param("name"),
    )
    fake.emit("coupon.created", coupon)
    return 200, coupon


def _subscription(fake: StripeSimulator, subscription_id: str) -> dict | None:
    sub = fake.get("subscriptions", subscription_id)
    return None if sub is None or sub["status"] == "canceled" else sub


def _changed_items(
    fake: StripeSimulator, sub: dict, changes: list[dict[str, str]]
) -> list[tuple[dict, dict, int]]:
    """(item, new price, new quantity) for each item a request changes."""
    items = {item["id"]: item for item in sub["items"]["data"]}
    result = []
    for change in changes:
        item = items[change["id"]]
        price = fake.get("prices", change["price"]) if change.get("price") else item["price"]
        result.append((item, price, int(change.get("quantity") or item["quantity"])))
    return result


def _proration_lines(
    fake: StripeSimulator, sub: dict, changes: list[tuple[dict, dict, int]], at: int
) -> list[dict]:
    lines = []
    for item, price, quantity in changes:
        start, end = item["current_period_start"], item["current_period_end"]
        share = max(end - at, 0) / max(end - start, 1)
        old = round(-item["price"]["unit_amount"] * item["quantity"] * share)
        new = round(price["unit_amount"] * quantity * share)
        for amount, text in (
            (old, f"Unused time on {item['quantity']} × {item['price']['id']}"),
            (new, f"Remaining time on {quantity} × {price['id']}"),
        ):
            line = fake.make(
                "line_item",
                amount=amount,
                currency=sub["currency"],
                description=text,
                quantity=item["quantity"] if amount < 0 else quantity,
                period={"start": at, "end": end},
                subscription=sub["id"],
            )
            line["parent"] = {
                "type": "subscription_item_details",
                "invoice_item_details": None,
                "subscription_item_details": {
                    "proration": True,
                    "subscription": sub["id"],
                    "subscription_item": item["id"],
                    "invoice_item": None,
                    "proration_details": None,
                },
            }
            lines.append(line)
    return lines


@route("POST", r"/v1/invoices/create_preview")
def create_preview(fake: StripeSimulator, request: Request) -> tuple[int, dict]:
    sub = _subscription(fake, request.param("subscription") or "")
    if sub is None:
        return stripe_error(404, f"No such subscription: '{request.param('subscription')}'")
    at = int(request.param("subscription_details[proration_date]") or fake.clock)
    changes = _changed_items(fake, sub, indexed(request, "subscription_details[items]"))
    lines = _proration_lines(fake, sub, changes, at)
    total = sum(line["amount"] for line in lines)
    preview = fake.make(
        "invoice",
        customer=sub["customer"],
        currency=sub["currency"],
        status="draft",
        subtotal=total,
        total=total,
        amount_due=max(total, 0),
        amount_paid=0,
        amount_remaining=max(total, 0),
        lines={"object": "list", "data": lines, "has_more": False, "url": "/v1/invoices/upcoming"},
    )
    preview["id"] = "upcoming_in_fake"
    return 200, preview


@route("POST", r"/v1/subscriptions/(?P<id>[^/]+)")
def update_subscription(fake: StripeSimulator, request: Request) -> tuple[int, dict]:
    sub = _subscription(fake, request.match["id"])
    if sub is None:
        return stripe_error(404, f"No such subscription: '{request.match['id']}'", code="resource_missing")
    changes: dict[str, Any] = {}
    if "discounts" in request.form or indexed(request, "discounts"):
        changes["discounts"] = _discounts(fake, sub, indexed(request, "discounts"))
    if metadata_of(request):
        changes["metadata"] = {**(sub.get("metadata") or {}), **metadata_of(request)}
    item_changes = _changed_items(fake, sub, indexed(request, "items"))
    if item_changes:
        items = []
        for item in sub["items"]["data"]:
            changed = next(
                ((price, qty) for old, price, qty in item_changes if old["id"] == item["id"]), None
            )
            items.append({**item, "price": changed[0], "quantity": changed[1]} if changed else item)
        changes["items"] = {**sub["items"], "data": items}
    fake.update("subscriptions", sub["id"], "customer.subscription.updated", **changes)
    return 200, fake.expanded("subscriptions", sub, request.list("expand"))


def _discounts(fake: StripeSimulator, sub: dict, wanted: list[dict[str, str]]) -> list[str]:
    """The subscription's new discount list: kept discounts by id, new ones made from coupons."""
    result = []
    for entry in wanted:
        if entry.get("discount"):
            result.append(entry["discount"])
            continue
        coupon = fake.get("coupons", entry["coupon"])
        discount = fake.make(
            "discount",
            customer=sub["customer"],
            subscription=sub["id"],
            start=fake.clock,
            end=None,
            source={"coupon": coupon, "type": "coupon"},
        )
        result.append(fake.add("discounts", discount)["id"])
    return result


@route("POST", r"/v1/invoices/(?P<id>[^/]+)/void")
def void_invoice(fake: StripeSimulator, request: Request) -> tuple[int, dict]:
    invoice = fake.get("invoices", request.match["id"])
    if invoice is None:
        return stripe_error(404, f"No such invoice: '{request.match['id']}'", code="resource_missing")
    if invoice["status"] != "open":
        return stripe_error(400, f"You can only void open invoices; this one is {invoice['status']}.")
    transitions = {**(invoice.get("status_transitions") or {}), "voided_at": fake.clock}
    fake.update(
        "invoices",
        invoice["id"],
        "invoice.voided",
        status="void",
        status_transitions=transitions,
        amount_remaining=0,
    )
    return 200, fake.expanded("invoices", invoice, [])
