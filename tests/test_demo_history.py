"""The demo is one consistent history: its past is in the audit chain in time order (and the chain
verifies), nothing predates what it refers to, and what is fully refunded is not offered again.

`small` runs here on both backends. `large` (20k accounts, 10M usage events) takes minutes to seed, so it
is checked by `python scripts/bench_demo_systems.py --size large`, which runs the same checks
(`history_problems`) and prints the figures.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, distinct, func
from sqlmodel import Session, col, select

from dashboard.billing.corrections import targets
from dashboard.core import audit
from dashboard.demo import seed_demo
from dashboard.demo.history import history_problems
from dashboard.simulators.demo import stripe_from_store
from models import (
    AuditEvent,
    BillingCorrection,
    Installation,
    PrivacyRequestEvent,
    StripeCustomer,
    StripePayment,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_small_demo_is_one_consistent_history(engine: Engine) -> None:
    seed_demo(engine, "small", now=NOW)
    with Session(engine) as session:
        assert history_problems(session, now=NOW) == []
        assert audit.verify_chain(session).ok
        actions = session.exec(select(AuditEvent.action)).all()
        corrections = session.exec(select(BillingCorrection)).all()
        events = session.exec(select(PrivacyRequestEvent)).all()
        installed = session.exec(select(func.count(distinct(Installation.account_id)))).one()
    assert actions.count("correction.requested") == len(corrections) >= 10
    assert sum(a.startswith("privacy_request_") for a in actions) == len(events) >= 60
    assert actions.count("zendesk_connection_added") == installed  # every account with an installation


def test_a_fully_refunded_demo_payment_is_not_offered_for_refund(engine: Engine) -> None:
    seed_demo(engine, "small", now=NOW)
    with Session(engine) as session:
        account_id, payment_id = session.exec(
            select(StripeCustomer.account_id, StripePayment.id)
            .join(StripeCustomer, col(StripeCustomer.id) == col(StripePayment.customer_id))
            .where(StripePayment.refunded, col(StripeCustomer.account_id).is_not(None))
        ).first()
        offered = [p.id for p in targets.payment_choices(session, account_id=account_id)]
    assert payment_id not in offered


def test_the_demo_stripe_holds_the_mirror_with_the_same_ids(engine: Engine) -> None:
    seed_demo(engine, "small", now=NOW)
    simulator = stripe_from_store(engine)
    with Session(engine) as session:
        payments = session.exec(select(StripePayment).order_by(StripePayment.id)).all()
    charges = simulator.store["charges"]
    assert sorted(charges) == [p.id for p in payments]
    assert [(charges[p.id]["amount"], charges[p.id]["amount_refunded"]) for p in payments] == [
        (p.amount, p.amount_refunded) for p in payments
    ]
