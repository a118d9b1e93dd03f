"""The corrections demo step: every state present, and the Stripe mirror agrees with what was executed."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from dashboard.core.settings import get_settings
from models import BillingCorrection, StripeCreditNote, StripeInvoice, StripePayment, StripeRefund
from tests.demo_template import DEMO_NOW as NOW
from tests.demo_template import DemoTemplates


def test_demo_corrections_are_consistent_with_the_mirror(
    engine: Engine, demo_templates: DemoTemplates
) -> None:
    demo_templates.seed(engine, now=NOW)
    threshold = get_settings().correction_approval_threshold_minor
    with Session(engine) as session:
        rows = session.exec(select(BillingCorrection)).all()
        assert {r.status for r in rows} >= {"executed", "pending_approval", "rejected", "failed"}
        assert {r.kind for r in rows} >= {"refund", "credit_note", "void_invoice", "apply_discount"}
        for row in rows:
            assert row.account_id is not None and row.reason_text
            if row.kind == "refund" and row.status == "executed":
                refund = session.get(StripeRefund, row.stripe_result_id)
                assert refund.amount == row.amount and refund.charge_id == row.payment_id
                assert session.get(StripePayment, row.payment_id).amount_refunded == row.amount
            if row.kind == "refund" and row.status != "executed":
                assert session.get(StripePayment, row.payment_id).amount_refunded == 0
            if row.kind == "void_invoice":
                assert session.get(StripeInvoice, row.invoice_id).status == "void"
            if row.kind == "credit_note":
                assert session.get(StripeCreditNote, row.stripe_result_id).amount == row.amount
            if row.status in ("pending_approval", "rejected"):
                assert row.params.get("percent_off") == "100" or row.amount_reporting > threshold
                assert row.decided_by != row.requested_by
