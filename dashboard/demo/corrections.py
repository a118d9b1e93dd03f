"""Demo billing corrections in every state: what account managers asked for, planned here from the
Stripe mirror the stripe step left, and carried out by the history step through the console's workflow.

One correction per 100 accounts (at least ten), cycling through the kinds: refunds sent at once, one
waiting for approval, one rejected, one Stripe refuses; a credit note, a void and a 100% discount that
waits for approval. The mirror changes (refund rows, refunded amounts, voided invoices) are what the
workflow records from Stripe's answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from dashboard.core.money import convert, to_major
from dashboard.core.settings import get_settings
from dashboard.demo.context import DemoContext
from models import FxRate, StripeCustomer, StripeInvoice, StripePayment, StripeSubscription

REQUESTERS = ("am@demo.example", "am2@demo.example")
APPROVER = "admin@demo.example"
# What the approver does with a refund that waits for approval, by the status the plan aims at.
DECISIONS = {"executed": "approve", "failed": "approve", "pending_approval": "wait", "rejected": "reject"}
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


@dataclass(frozen=True)
class CorrectionPlan:
    """A correction as an account manager fills in the form at `requested_at`; what happens next is the
    workflow's (`history` submits it through `billing/corrections/workflow.py` against the demo Stripe)."""

    kind: str
    account_id: int
    target_id: str
    requested_at: datetime
    requested_by: str
    reason_category: str
    reason_text: str
    fields: dict[str, str] = field(default_factory=dict)  # the form's amount, outcome, percent_off...
    decision: str = "approve"  # for one that waits for approval: approve (and send), reject, or wait
    refused_by_stripe: bool = False  # Stripe says no when it is sent (a disputed charge)

    @property
    def decided_at(self) -> datetime:
        return self.requested_at + timedelta(hours=2)


class _Planner:
    def __init__(self, ctx: DemoContext, session: Session) -> None:
        self.ctx = ctx
        self.accounts = dict(
            session.exec(
                select(StripeCustomer.id, StripeCustomer.account_id).where(
                    col(StripeCustomer.account_id).is_not(None)
                )
            ).all()
        )
        self.plans: list[CorrectionPlan] = []

    def add(
        self,
        kind: str,
        *,
        customer_id: str,
        target_id: str,
        after: datetime,
        fields: dict[str, str],
        decision: str = "approve",
        refused_by_stripe: bool = False,
    ) -> None:
        """`after`: when the object corrected came to be; the request comes later (and before now)."""
        requested = self.ctx.now - timedelta(
            days=self.ctx.rng.randint(1, 60), minutes=self.ctx.rng.randint(0, 600)
        )
        requested = min(max(requested, after + timedelta(hours=1)), self.ctx.now - timedelta(hours=4))
        category, text = self.ctx.rng.choice(REASONS)
        self.plans.append(
            CorrectionPlan(
                kind=kind,
                account_id=self.accounts[customer_id],
                target_id=target_id,
                requested_at=requested.replace(microsecond=0),
                requested_by=REQUESTERS[(len(self.plans) + 1) % 2],
                reason_category=category,
                reason_text=text,
                fields=fields,
                decision=decision,
                refused_by_stripe=refused_by_stripe,
            )
        )


def _major(amount: int, currency: str) -> str:
    return str(to_major(amount, currency))


def _refund(planner: _Planner, payment: StripePayment, status: str, what: str) -> None:
    amount = payment.amount if what == "full" else max(payment.amount // 2, 1)
    planner.add(
        "refund",
        customer_id=payment.customer_id or "",
        target_id=payment.id,
        after=payment.created or planner.ctx.now,
        fields={"amount": _major(amount, payment.currency), "currency": payment.currency},
        decision=DECISIONS[status],
        refused_by_stripe=status == "failed",
    )


def _credit_note(planner: _Planner, invoice: StripeInvoice) -> None:
    amount = max(invoice.total // 4, 1)
    planner.add(
        "credit_note",
        customer_id=invoice.customer_id,
        target_id=invoice.id,
        after=invoice.paid_at or invoice.created or planner.ctx.now,
        fields={
            "amount": _major(amount, invoice.currency),
            "currency": invoice.currency,
            "credit_outcome": "out_of_band",
        },
    )


def _void(planner: _Planner, invoice: StripeInvoice) -> None:
    planner.add(
        "void_invoice",
        customer_id=invoice.customer_id,
        target_id=invoice.id,
        after=invoice.created or planner.ctx.now,
        fields={"currency": invoice.currency},
    )


def _full_discount(planner: _Planner, sub: StripeSubscription) -> None:
    planner.add(
        "apply_discount",
        customer_id=sub.customer_id,
        target_id=sub.id,
        after=sub.created or planner.ctx.now,
        fields={"currency": sub.currency, "percent_off": "100", "duration": "once"},
        decision="wait",
    )


def generate(ctx: DemoContext) -> None:
    count = max(10, ctx.size.accounts // 100)
    settled = ctx.now - timedelta(days=2)  # corrections act on what existed a while before they were asked
    with Session(ctx.engine) as session:
        planner = _Planner(ctx, session)
        rates = {r.currency: Decimal(r.rate) for r in session.exec(select(FxRate).order_by(FxRate.day))}
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
                .join(StripeCustomer, col(StripeCustomer.id) == col(StripeSubscription.customer_id))
                .where(
                    linked,
                    StripeSubscription.status == "active",
                    col(StripeSubscription.account_id).is_not(None),
                    col(StripeSubscription.created) < settled,
                )
                .order_by(StripeSubscription.id)
                .limit(count)
            )
        )
    reporting = get_settings().reporting_currency.lower()

    def in_reporting(payment: StripePayment) -> int:
        if payment.currency == reporting:
            return payment.amount
        rate = rates.get(payment.currency)
        return 0 if rate is None else convert(payment.amount, payment.currency, rate, reporting)

    ctx.rng.shuffle(payments)
    payments.sort(key=in_reporting)
    ctx.rng.shuffle(paid)
    credited = {p.invoice_id for p in payments[:count]}  # keep credit notes off the invoices refunded here
    paid = [i for i in paid if i.id not in credited]
    for index in range(count):
        kind, status, what = PLAN[index % len(PLAN)]
        if kind == "refund" and payments:
            big = status in ("pending_approval", "rejected")
            _refund(planner, payments.pop() if big else payments.pop(0), status, what)
        elif kind == "credit_note" and paid:
            _credit_note(planner, paid.pop())
        elif kind == "void_invoice" and open_invoices:
            _void(planner, open_invoices.pop())
        elif kind == "apply_discount" and active:
            _full_discount(planner, active.pop())
    ctx.shared["corrections"] = planner.plans
