"""Demo billing corrections in every state, consistent with the Stripe mirror the stripe step left.

Executed refunds have their refund row and the payment's refunded amount; an executed void leaves the
invoice void; an executed credit note has its credit note row. Pending, rejected and failed ones
changed nothing in the mirror. One correction per 100 accounts (at least ten), cycling through the kinds.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from dashboard.core.money import convert
from dashboard.core.settings import get_settings
from dashboard.demo.context import DemoContext
from models import (
    BillingCorrection,
    FxRate,
    StripeCreditNote,
    StripeCustomer,
    StripeDiscount,
    StripeInvoice,
    StripePayment,
    StripeRefund,
    StripeSubscription,
)

REQUESTERS = ("am@demo.example", "am2@demo.example")
APPROVER = "admin@demo.example"
# (kind, status, what): one demo correction of each, in this order, repeated.
PLAN = (
    ("refund", "executed", "partial"),
    ("refund", "executed", "full"),
    ("refund", "pending_approval", "full"),
    ("refund", "rejected", "partial"),
    ("refund", "failed", "partial"),
    ("credit_note", "executed", "out_of_band"),
    ("void_invoice", "executed", "open"),
    ("apply_discount", "pending_approval", "100%"),
)
REASONS = (
    ("duplicate_charge", "Charged twice after a card update; customer sent both receipts."),
    ("service_issue", "Outage of the app on their Zendesk for three days."),
    ("billing_error", "Seats counted after they removed agents."),
    ("goodwill", "Renewal goodwill agreed with their admin."),
)


class _Builder:
    def __init__(self, ctx: DemoContext, session: Session) -> None:
        self.ctx = ctx
        self.rates = {r.currency: Decimal(r.rate) for r in session.exec(select(FxRate).order_by(FxRate.day))}
        self.reporting = get_settings().reporting_currency.lower()
        self.threshold = get_settings().correction_approval_threshold_minor
        self.accounts = dict(
            session.exec(
                select(StripeCustomer.id, StripeCustomer.account_id).where(
                    col(StripeCustomer.account_id).is_not(None)
                )
            ).all()
        )
        self.corrections: list[dict[str, Any]] = []
        self.refunds: list[dict[str, Any]] = []
        self.credit_notes: list[dict[str, Any]] = []
        self.refunded: list[dict[str, Any]] = []  # payments refunded by executed corrections
        self.voided: list[dict[str, Any]] = []

    def to_reporting(self, amount: int, currency: str) -> int | None:
        if currency == self.reporting:
            return amount
        rate = self.rates.get(currency)
        return None if rate is None else convert(amount, currency, rate, self.reporting)

    def add(
        self,
        kind: str,
        status: str,
        *,
        customer_id: str,
        amount: int | None,
        currency: str,
        target: dict[str, str | None],
        params: dict[str, Any],
        after: datetime,
        result_id: str | None = None,
    ) -> int:
        """`after`: when the object corrected came to be; the request comes later (and before now)."""
        number = len(self.corrections) + 1
        requested = self.ctx.now - timedelta(
            days=self.ctx.rng.randint(1, 60), minutes=self.ctx.rng.randint(0, 600)
        )
        requested = min(max(requested, after + timedelta(hours=1)), self.ctx.now - timedelta(hours=4))
        reporting = self.to_reporting(amount, currency) if amount else None
        waits = params.get("percent_off") == "100" or (reporting or 0) > self.threshold
        decided = status == "rejected" or (status in ("executed", "failed") and waits)
        category, text = self.ctx.rng.choice(REASONS)
        self.corrections.append(
            {
                "id": number,
                "kind": kind,
                "status": status,
                "account_id": self.accounts.get(customer_id),
                "customer_id": customer_id,
                "subscription_id": target.get("subscription"),
                "invoice_id": target.get("invoice"),
                "payment_id": target.get("payment"),
                "amount": amount,
                "currency": currency,
                "amount_reporting": reporting,
                "params": params,
                "target_fingerprint": None,
                "reason_category": category,
                "reason_text": text,
                "idempotency_key": f"corr_demo{number:06d}",
                "requested_by": REQUESTERS[number % 2],
                "requested_at": requested,
                "decided_by": APPROVER if decided else None,
                "decided_at": requested + timedelta(hours=2) if decided else None,
                "decision_reason": (
                    "No ticket backs this up; ask the customer first."
                    if status == "rejected"
                    else "Checked against the ticket."
                )
                if decided
                else None,
                "executed_at": requested + timedelta(hours=3) if status == "executed" else None,
                "mirrored_at": requested + timedelta(hours=3) if status == "executed" else None,
                "sending_key": f"corr_demo{number:06d}" if status in ("executed", "failed") else None,
                "sending_at": requested + timedelta(hours=3) if status in ("executed", "failed") else None,
                "checked_at": None,
                "attempts": 1 if status in ("executed", "failed") else 0,
                "stripe_result_id": result_id,
                "result": {"stripe_id": result_id} if result_id else {},
                "error_message": "Stripe rejected the request: This charge is disputed; it cannot be "
                "refunded until the dispute is closed."
                if status == "failed"
                else None,
                "version": 2 if decided or status in ("executed", "failed") else 1,
            }
        )
        return number


def _refund(builder: _Builder, payment: StripePayment, status: str, what: str) -> None:
    amount = payment.amount if what == "full" else max(payment.amount // 2, 1)
    if (
        status in ("pending_approval", "rejected")
        and (builder.to_reporting(amount, payment.currency) or 0) <= builder.threshold
    ):
        status = "executed"  # small enough to go straight through, as the rules say
    refund_id = f"re_corr{len(builder.corrections) + 1:06d}" if status == "executed" else None
    number = builder.add(
        "refund",
        status,
        customer_id=payment.customer_id or "",
        amount=amount,
        currency=payment.currency,
        target={"payment": payment.id, "invoice": payment.invoice_id},
        params={"refund": {"charge": payment.id, "amount": amount}},
        after=payment.created or builder.ctx.now,
        result_id=refund_id,
    )
    if refund_id is None:
        return
    executed = builder.corrections[-1]["executed_at"]
    builder.refunds.append(
        {
            "id": refund_id,
            "charge_id": payment.id,
            "payment_intent_id": payment.payment_intent_id,
            "amount": amount,
            "currency": payment.currency,
            "status": "succeeded",
            "reason": "requested_by_customer",
            "created": executed,
            "stripe_metadata": {"console_correction_id": str(number)},
        }
    )
    builder.refunded.append({"b_id": payment.id, "b_refunded": amount, "b_full": amount == payment.amount})


def _credit_note(builder: _Builder, invoice: StripeInvoice) -> None:
    amount = max(invoice.total // 4, 1)
    note_id = f"cn_corr{len(builder.corrections) + 1:06d}"
    builder.add(
        "credit_note",
        "executed",
        customer_id=invoice.customer_id,
        amount=amount,
        currency=invoice.currency,
        target={"invoice": invoice.id},
        params={"credit_note": {"invoice": invoice.id, "amount": amount, "out_of_band_amount": amount}},
        after=invoice.paid_at or invoice.created or builder.ctx.now,
        result_id=note_id,
    )
    builder.credit_notes.append(
        {
            "id": note_id,
            "invoice_id": invoice.id,
            "customer_id": invoice.customer_id,
            "number": f"{invoice.number}-CN-C",
            "amount": amount,
            "currency": invoice.currency,
            "status": "issued",
            "type": "post_payment",
            "reason": "order_change",
            "memo": "Settled by bank transfer",
            "refund_id": None,
            "created": builder.corrections[-1]["executed_at"],
        }
    )


def _void(builder: _Builder, invoice: StripeInvoice) -> None:
    builder.add(
        "void_invoice",
        "executed",
        customer_id=invoice.customer_id,
        amount=invoice.amount_remaining,
        currency=invoice.currency,
        target={"invoice": invoice.id},
        params={"void": {"invoice": invoice.id}},
        after=invoice.created or builder.ctx.now,
        result_id=invoice.id,
    )
    builder.voided.append({"b_id": invoice.id})


def _full_discount(builder: _Builder, sub: StripeSubscription, discounts: list[str]) -> None:
    builder.add(
        "apply_discount",
        "pending_approval",
        customer_id=sub.customer_id,
        amount=sub.mrr,
        currency=sub.currency,
        target={"subscription": sub.id},
        params={
            # the shape billing/corrections/kinds/discount.py stores: the coupon is made when it is sent
            "new_coupon": {
                "id": f"corr_demo{len(builder.corrections) + 1:06d}",
                "percent_off": "100",
                "duration": "once",
            },
            "keep_discounts": discounts,
            "percent_off": "100",
        },
        after=sub.created or builder.ctx.now,
    )


def generate(ctx: DemoContext) -> None:
    count = max(10, ctx.size.accounts // 100)
    settled = ctx.now - timedelta(days=2)  # corrections act on what existed a while before they were asked
    with Session(ctx.engine) as session:
        builder = _Builder(ctx, session)
        linked = col(StripeCustomer.account_id).is_not(None)
        payments = list(
            session.exec(
                select(StripePayment)
                .join(StripeCustomer, col(StripeCustomer.id) == col(StripePayment.customer_id))
                .where(
                    linked,
                    StripePayment.status == "succeeded",
                    StripePayment.amount_refunded == 0,
                    col(StripePayment.created) < settled,
                )
                .order_by(StripePayment.id)
                .limit(count * 20)
            )
        )
        paid, open_invoices = (
            list(
                session.exec(
                    select(StripeInvoice)
                    .join(StripeCustomer, col(StripeCustomer.id) == col(StripeInvoice.customer_id))
                    .where(linked, StripeInvoice.status == status, col(StripeInvoice.created) < settled)
                    .order_by(StripeInvoice.id)
                    .limit(count * 20)
                )
            )
            for status in ("paid", "open")
        )
        active = list(
            session.exec(
                select(StripeSubscription)
                .where(
                    StripeSubscription.status == "active",
                    col(StripeSubscription.account_id).is_not(None),
                    col(StripeSubscription.created) < settled,
                )
                .order_by(StripeSubscription.id)
                .limit(count)
            )
        )
    with Session(ctx.engine) as session:
        kept: dict[str, list[str]] = {}
        for discount_id, sub_id in session.exec(
            select(StripeDiscount.id, StripeDiscount.subscription_id).order_by(StripeDiscount.id)
        ):
            kept.setdefault(sub_id or "", []).append(discount_id)
    ctx.rng.shuffle(payments)
    payments.sort(key=lambda p: builder.to_reporting(p.amount, p.currency) or 0)
    ctx.rng.shuffle(paid)
    credited = {p.invoice_id for p in payments[:count]}  # keep credit notes off the invoices refunded here
    paid = [i for i in paid if i.id not in credited]
    for index in range(count):
        kind, status, what = PLAN[index % len(PLAN)]
        if kind == "refund" and payments:
            big = status in ("pending_approval", "rejected")
            _refund(builder, payments.pop() if big else payments.pop(0), status, what)
        elif kind == "credit_note" and paid:
            _credit_note(builder, paid.pop())
        elif kind == "void_invoice" and open_invoices:
            _void(builder, open_invoices.pop())
        elif kind == "apply_discount" and active:
            sub = active.pop()
            _full_discount(builder, sub, kept.get(sub.id, []))
    _insert(ctx, builder)


def _insert(ctx: DemoContext, builder: _Builder) -> None:
    ctx.bulk_insert(BillingCorrection, builder.corrections)
    ctx.bulk_insert(StripeRefund, builder.refunds)
    ctx.bulk_insert(StripeCreditNote, builder.credit_notes)
    with ctx.engine.begin() as conn:
        if builder.refunded:
            conn.execute(
                update(StripePayment)
                .where(col(StripePayment.id) == bindparam("b_id"))
                .values(amount_refunded=bindparam("b_refunded"), refunded=bindparam("b_full")),
                builder.refunded,
            )
        if builder.voided:
            conn.execute(
                update(StripeInvoice)
                .where(col(StripeInvoice.id) == bindparam("b_id"))
                .values(status="void", amount_remaining=0),
                builder.voided,
            )
