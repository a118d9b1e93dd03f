"""The demo is one consistent history: its past (corrections, request changes, exports, deletions,
sign-ins) was written by the console's own functions, so the audit chain holds it in time order and
verifies, nothing predates what it refers to, and what is fully refunded is not offered again.

`small` runs here on both backends. `large` (20k accounts, 10M usage events) takes minutes to seed, so it
is checked by `python scripts/bench_demo_systems.py --size large`, which runs the same checks
(`history_problems`) and prints the figures.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, distinct, func
from sqlmodel import Session, col, select

from dashboard.billing.corrections import targets
from dashboard.core import audit
from dashboard.demo.history import history_problems
from dashboard.simulators.demo import stripe_from_store
from models import (
    AuditEvent,
    BillingCorrection,
    DataExport,
    Installation,
    LoginSession,
    PrivacyRequest,
    PrivacyRequestEvent,
    PrivacyRequestStep,
    StripeCustomer,
    StripePayment,
    StripeRefund,
    User,
)
from tests.demo_template import DEMO_NOW as NOW
from tests.demo_template import DemoTemplates


def test_small_demo_is_one_consistent_history(engine: Engine, demo_templates) -> None:
    demo_templates.seed(engine, now=NOW)
    with Session(engine) as session:
        assert history_problems(session, now=NOW) == []
        assert audit.verify_chain(session).ok
        rows = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
        corrections = session.exec(select(BillingCorrection)).all()
        events = session.exec(select(PrivacyRequestEvent)).all()
        installed = session.exec(select(func.count(distinct(Installation.account_id)))).one()
        exports = session.exec(select(DataExport)).all()
        deletion_steps = session.exec(select(PrivacyRequestStep)).all()
        sign_ins = session.exec(select(LoginSession)).all()
        refunds = session.exec(select(StripeRefund).where(col(StripeRefund.id).like("re_%"))).all()
    actions = [row.action for row in rows]
    assert [row.at for row in rows] == sorted(row.at for row in rows)
    assert actions.count("correction.requested") == len(corrections) >= 10
    assert {c.status for c in corrections} >= {"executed", "pending_approval", "rejected", "failed"}
    changes = [
        r for r in rows if r.target_type == "privacy_request" and r.action != "deletion_plan_confirmed"
    ]
    assert len(changes) == len(events) >= 60  # one audit row per timeline event
    assert actions.count("zendesk_connection_added") == installed  # every account with an installation
    assert actions.count("data_export_started") == actions.count("data_export_built") == len(exports) >= 2
    # past exports and deletions searched and erased in the demo's Zendesk too, not only Stripe and the store
    assert {e.status for e in exports} == {"complete"}
    assert all(e.sources["zendesk"]["found_in"] for e in exports)
    assert {(s.system, s.status) for s in deletion_steps} == {
        ("store", "done"),
        ("stripe", "done"),
        ("zendesk", "done"),
    }
    assert actions.count("deletion_plan_confirmed") >= 1
    assert actions.count("deletion_step_done") == sum(s.status == "done" for s in deletion_steps) >= 2
    assert actions.count("login") == len(sign_ins) >= 5
    executed = {c.stripe_result_id for c in corrections if c.kind == "refund" and c.status == "executed"}
    assert executed <= {r.id for r in refunds}  # the workflow recorded Stripe's refund in the mirror


def test_history_problems_names_what_the_console_did_not_write(
    engine: Engine, demo_templates: DemoTemplates
) -> None:
    demo_templates.seed(engine, now=NOW)
    with Session(engine) as session:
        request = session.exec(select(PrivacyRequest).order_by(PrivacyRequest.id)).first()
        user = session.exec(select(User).order_by(User.id)).first()
        session.add(
            PrivacyRequestEvent(
                request_id=request.id,
                at=request.created_at - timedelta(days=1),
                actor=user.email,
                kind="note",
            )
        )
        session.add(
            LoginSession(
                user_id=user.id,
                token_hash="x" * 64,
                created_at=NOW + timedelta(hours=1),
                last_seen_at=NOW,
                expires_at=NOW + timedelta(days=1),
            )
        )
        last = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        last.details = {**last.details, "edited": True}
        session.add(last)
        session.commit()
        problems = history_problems(session, now=NOW)
    assert problems == [
        f"the audit chain does not verify: row {last.id} was altered after it was written",
        "1 privacy request changes without their audit row",
        "1 sign-ins without their audit row",
        "1 privacy request events before the request",
        "1 sign-ins after now",
    ]


def test_a_fully_refunded_demo_payment_is_not_offered_for_refund(
    engine: Engine, demo_templates: DemoTemplates
) -> None:
    demo_templates.seed(engine, now=NOW)
    with Session(engine) as session:
        account_id, payment_id = session.exec(
            select(StripeCustomer.account_id, StripePayment.id)
            .join(StripeCustomer, col(StripeCustomer.id) == col(StripePayment.customer_id))
            .where(StripePayment.refunded, col(StripeCustomer.account_id).is_not(None))
        ).first()
        offered = [p.id for p in targets.payment_choices(session, account_id=account_id)]
    assert payment_id not in offered


def test_the_demo_stripe_holds_the_mirror_with_the_same_ids(
    engine: Engine, demo_templates: DemoTemplates
) -> None:
    demo_templates.seed(engine, now=NOW)
    simulator = stripe_from_store(engine)
    with Session(engine) as session:
        payments = session.exec(select(StripePayment).order_by(StripePayment.id)).all()
    charges = simulator.store["charges"]
    assert sorted(charges) == [p.id for p in payments]
    assert [(charges[p.id]["amount"], charges[p.id]["amount_refunded"]) for p in payments] == [
        (p.amount, p.amount_refunded) for p in payments
    ]
