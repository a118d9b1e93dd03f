"""The Stripe demo step: a complete, consistent mirror (what other steps and the pages rely on)."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, func, select

from dashboard.billing.revenue import current_mrr, monthly_revenue
from models import MrrChange, StripeCustomer, StripeInvoice, StripePayment, StripeSubscription
from tests.demo_template import DEMO_NOW as NOW


def test_demo_mirror_is_consistent(engine: Engine, demo_templates) -> None:
    demo_templates.seed(engine, now=NOW)
    with Session(engine) as session:
        subs = session.exec(select(StripeSubscription)).all()
        assert len(subs) == 160
        assert {s.status for s in subs} >= {"active", "canceled", "past_due"}
        assert all(s.app_id is not None for s in subs)
        last_change = {}
        for change in session.exec(select(MrrChange).order_by(MrrChange.effective_on, MrrChange.id)):
            last_change[change.subscription_id] = change.mrr
        assert all(last_change.get(s.id, 0) == s.mrr for s in subs)  # log and current MRR agree
        this_month = monthly_revenue(session, start=NOW.date(), end=NOW.date(), as_of=NOW.date())[0]
        assert this_month.mrr == current_mrr(session) > 0
        linked = session.exec(
            select(func.count()).select_from(StripeCustomer).where(StripeCustomer.account_id.is_not(None))
        ).one()
        assert linked >= 0.9 * session.exec(select(func.count()).select_from(StripeCustomer)).one()
        paid = session.exec(select(StripeInvoice).where(StripeInvoice.status == "paid")).first()
        payment = session.exec(select(StripePayment).where(StripePayment.invoice_id == paid.id)).one()
        assert payment.amount == paid.amount_paid and len(payment.card_last4) == 4
