"""Billing corrections against the fake Stripe server, which counts what it executed.

Never twice: a double submit, a double click, a retry after a timeout and a 500 each give one refund.
Never wrong: over-refunds, stale forms, bad states are refused before any write reaches Stripe.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
from sqlmodel import select

from dashboard.billing.corrections import workflow
from dashboard.billing.stripe_gateway import StripeGateway
from dashboard.core.errors import ConflictError, PermissionDenied, ValidationError
from dashboard.core.settings import reset_settings_cache
from dashboard.simulators.stripe import TEST_KEY
from models import (
    AuditEvent,
    StripeCreditNote,
    StripeInvoice,
    StripePayment,
    StripeRefund,
    StripeSubscriptionItem,
)
from tests.corrections_helpers import corrections, form_for, posts, refunds_of, seed_business


@pytest.fixture
def business(session, fake_stripe):
    return seed_business(session, fake_stripe)


@pytest.fixture
def manager(make_user):
    return make_user("account_manager")


@pytest.fixture
def low_threshold(monkeypatch):
    """Anything above 10.00 USD needs approval."""
    monkeypatch.setenv("CORRECTION_APPROVAL_THRESHOLD_MINOR", "1000")
    reset_settings_cache()
    yield
    reset_settings_cache()


def refund_form(gateway, business, amount="30.00", **fields):
    return form_for(gateway, "refund", business.charge["id"], business.account_id, amount=amount, **fields)


def actions(session) -> list[str]:
    events = session.exec(select(AuditEvent).order_by(AuditEvent.id))
    return [e.action for e in events if e.action.startswith("correction.")]


def test_partial_refund_goes_through_below_threshold_and_updates_the_mirror(
    session, engine, fake_stripe, stripe_gateway, business, manager
):
    done = workflow.submit(engine, stripe_gateway, manager, refund_form(stripe_gateway, business, "30.00"))

    assert done.status == "executed" and done.amount == 3000 and done.currency == "eur"
    assert done.amount_reporting == 3300  # 30.00 EUR at 1.10
    [refund] = refunds_of(fake_stripe, business.charge["id"])
    assert refund["amount"] == 3000 and refund["metadata"] == {"console_correction_id": str(done.id)}
    assert done.stripe_result_id == refund["id"]
    session.expire_all()
    assert session.get(StripeRefund, refund["id"]).amount == 3000
    assert session.get(StripePayment, business.charge["id"]).amount_refunded == 3000
    assert actions(session)[-3:] == ["correction.requested", "correction.sending", "correction.executed"]


def test_double_submit_of_the_same_form_refunds_once(
    session, engine, fake_stripe, stripe_gateway, business, manager
):
    form = refund_form(stripe_gateway, business)
    first = workflow.submit(engine, stripe_gateway, manager, form)
    second = workflow.submit(engine, stripe_gateway, manager, form)

    assert first.id == second.id and second.status == "executed"
    assert len(refunds_of(fake_stripe, business.charge["id"])) == 1
    assert len(corrections(session)) == 1
    assert fake_stripe.calls["POST /v1/refunds"] == 1


def test_double_click_on_execute_refunds_once(
    session, engine, fake_stripe, stripe_gateway, business, manager
):
    stored = workflow.store(engine, stripe_gateway, manager, refund_form(stripe_gateway, business))
    fake_stripe.hang_next(r"POST /v1/refunds", seconds=0.5)  # the first click is still in flight
    slow = StripeGateway(TEST_KEY, api_base=fake_stripe.url, max_network_retries=0, timeout=5)
    results: list[object] = []

    def click() -> None:
        try:
            results.append(workflow.send(engine, slow, manager, correction_id=stored.id).status)
        except ConflictError as error:
            results.append(error)

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()

    # the second click found it claimed: it sent nothing and showed it as being sent (or done)
    assert sorted(results) == ["executed", "sending"] or results == ["executed", "executed"]
    assert len(refunds_of(fake_stripe, business.charge["id"])) == 1
    assert fake_stripe.calls["POST /v1/refunds"] == 1
    [row] = corrections(session)
    assert row.attempts == 1 and row.status == "executed"


def test_a_timeout_is_unknown_and_checking_finds_the_refund_without_sending_again(
    session, engine, fake_stripe, business, manager
):
    impatient = StripeGateway(TEST_KEY, api_base=fake_stripe.url, max_network_retries=0, timeout=0.5)
    fake_stripe.hang_next(r"POST /v1/refunds", seconds=1.0)  # Stripe refunds, the answer comes too late

    timed_out = workflow.submit(engine, impatient, manager, refund_form(impatient, business))
    assert timed_out.status == "unknown" and "did not arrive" in timed_out.error_message
    time.sleep(0.8)  # meanwhile Stripe finished the refund
    settled = workflow.check_now(engine, impatient, manager, correction_id=timed_out.id)

    assert settled.status == "executed" and settled.result["found_in_stripe"] is True
    [refund] = refunds_of(fake_stripe, business.charge["id"])
    assert settled.stripe_result_id == refund["id"]
    assert fake_stripe.calls["POST /v1/refunds"] == 1  # found, not sent again


def test_a_500_on_the_write_is_unknown_then_sent_again_under_the_same_key(
    session, engine, fake_stripe, stripe_gateway, business, manager
):
    fake_stripe.fail_next(r"POST /v1/refunds", status=500)  # Stripe may or may not have acted

    unknown = workflow.submit(engine, stripe_gateway, manager, refund_form(stripe_gateway, business))
    assert unknown.status == "unknown" and refunds_of(fake_stripe, business.charge["id"]) == []
    settled = workflow.check_now(engine, stripe_gateway, manager, correction_id=unknown.id)

    assert settled.status == "executed" and settled.result["found_in_stripe"] is False
    assert settled.sending_key == unknown.sending_key == unknown.idempotency_key
    assert len(refunds_of(fake_stripe, business.charge["id"])) == 1


def test_a_refusal_ends_failed_with_the_message_and_can_be_sent_again(
    session, engine, fake_stripe, stripe_gateway, business, manager
):
    refusal = f"Charge {business.charge['id']} has been charged back; cannot issue a refund."
    fake_stripe.fail_next(r"POST /v1/refunds", status=400, code="charge_disputed", message=refusal, times=10)

    failed = workflow.submit(engine, stripe_gateway, manager, refund_form(stripe_gateway, business))

    assert (
        failed.status == "failed"
        and failed.error_message == f"POST /v1/refunds: Stripe rejected the request: {refusal}"
    )
    assert refunds_of(fake_stripe, business.charge["id"]) == []
    assert actions(session)[-1] == "correction.failed"
    fake_stripe._faults.clear()
    again = workflow.send(engine, stripe_gateway, manager, correction_id=failed.id)
    assert again.status == "executed" and again.sending_key == f"{failed.idempotency_key}:2"
    assert len(refunds_of(fake_stripe, business.charge["id"])) == 1


def test_rate_limit_becomes_a_clear_message(engine, fake_stripe, business, manager):
    quick = StripeGateway(TEST_KEY, api_base=fake_stripe.url, max_network_retries=0, timeout=2)
    fake_stripe.fail_next(r"POST /v1/refunds", status=429, times=10)

    failed = workflow.submit(engine, quick, manager, refund_form(quick, business))

    assert failed.status == "failed" and "rate limiting" in failed.error_message


def test_over_refund_is_refused_before_any_write(
    session, engine, fake_stripe, stripe_gateway, business, manager
):
    fake_stripe.update("charges", business.charge["id"], "charge.refunded", amount_refunded=10000)
    form = refund_form(stripe_gateway, business, "20.01")  # the mirror still says 120.00 is left

    with pytest.raises(ValidationError) as refused:
        workflow.submit(engine, stripe_gateway, manager, form)

    assert refused.value.field == "amount" and "€20.00" in refused.value.message
    assert posts(fake_stripe) == 0 and corrections(session) == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"currency": "usd"}, "currency"),
        ({"reason_text": "  "}, "reason_text"),
        ({"reason_category": ""}, "reason_category"),
    ],
)
def test_bad_refund_input_is_refused_with_nothing_written(
    session, engine, fake_stripe, stripe_gateway, business, manager, fields, field
):
    with pytest.raises(ValidationError) as refused:
        workflow.submit(engine, stripe_gateway, manager, refund_form(stripe_gateway, business, **fields))
    assert refused.value.field == field
    assert posts(fake_stripe) == 0 and corrections(session) == []


def test_stale_form_is_refused(session, engine, fake_stripe, stripe_gateway, business, manager):
    form = refund_form(stripe_gateway, business, "10.00")
    fake_stripe.update("charges", business.charge["id"], "charge.refunded", amount_refunded=500)

    with pytest.raises(ValidationError) as refused:
        workflow.submit(engine, stripe_gateway, manager, form)

    assert refused.value.field == "form" and posts(fake_stripe) == 0 and corrections(session) == []


def test_above_threshold_waits_for_someone_else(
    session, engine, fake_stripe, stripe_gateway, business, manager, make_user, low_threshold
):
    waiting = workflow.submit(engine, stripe_gateway, manager, refund_form(stripe_gateway, business, "30.00"))
    assert waiting.status == "pending_approval" and posts(fake_stripe) == 0

    with pytest.raises(PermissionDenied):
        workflow.approve(session, manager, waiting.id, reason="fine", version=waiting.version)
    with pytest.raises(ValidationError):
        workflow.approve(session, make_user("admin"), waiting.id, reason=" ", version=waiting.version)
    with pytest.raises(PermissionDenied):
        workflow.approve(session, make_user("executive"), waiting.id, reason="ok", version=waiting.version)
    session.rollback()

    approver = make_user("account_manager")
    done = workflow.approve_and_execute(
        engine, stripe_gateway, approver, waiting.id, reason="Checked the ticket", version=waiting.version
    )
    assert done.status == "executed" and done.decided_by == approver.email
    assert len(refunds_of(fake_stripe, business.charge["id"])) == 1
    assert actions(session)[-4:] == [
        "correction.requested",
        "correction.approved",
        "correction.sending",
        "correction.executed",
    ]


def test_rejection_is_recorded_and_never_executes(
    session, engine, fake_stripe, stripe_gateway, business, manager, make_user, low_threshold
):
    waiting = workflow.submit(engine, stripe_gateway, manager, refund_form(stripe_gateway, business, "30.00"))
    rejected = workflow.reject(
        session, make_user("admin"), waiting.id, reason="No ticket for this", version=waiting.version
    )
    session.commit()

    assert rejected.status == "rejected" and rejected.decision_reason == "No ticket for this"
    with pytest.raises(ConflictError):
        workflow.send(engine, stripe_gateway, manager, correction_id=waiting.id)
    assert posts(fake_stripe) == 0 and actions(session)[-1] == "correction.rejected"


def test_a_full_discount_always_waits_for_approval(engine, fake_stripe, stripe_gateway, business, manager):
    form = form_for(
        stripe_gateway,
        "apply_discount",
        business.subscription["id"],
        business.account_id,
        percent_off="100",
        duration="once",
    )
    assert workflow.submit(engine, stripe_gateway, manager, form).status == "pending_approval"
    assert posts(fake_stripe) == 0


@pytest.mark.parametrize("role", ["executive", "privacy_officer"])
def test_only_account_managers_and_admins_can_create(
    session, engine, fake_stripe, stripe_gateway, business, make_user, role
):
    with pytest.raises(PermissionDenied):
        workflow.submit(engine, stripe_gateway, make_user(role), refund_form(stripe_gateway, business))
    assert corrections(session) == [] and posts(fake_stripe) == 0


def test_credit_note_on_paid_invoice_refunds_and_mirrors(
    session, engine, fake_stripe, stripe_gateway, business, make_user
):
    admin = make_user("admin")
    form = form_for(
        stripe_gateway,
        "credit_note",
        business.invoice["id"],
        business.account_id,
        amount="25.00",
        credit_outcome="refund",
    )
    stored = workflow.store(engine, stripe_gateway, admin, form)
    assert stored.params["preview"]["total"] == 2500

    done = workflow.send(engine, stripe_gateway, admin, correction_id=stored.id)

    assert done.status == "executed"
    session.expire_all()
    note = session.get(StripeCreditNote, done.stripe_result_id)
    assert note.amount == 2500 and note.refund_id is not None
    assert session.get(StripePayment, business.charge["id"]).amount_refunded == 2500


def test_credit_note_needs_an_outcome_and_a_creditable_invoice(
    engine, fake_stripe, stripe_gateway, business, manager
):
    with pytest.raises(ValidationError) as refused:
        workflow.submit(
            engine,
            stripe_gateway,
            manager,
            form_for(stripe_gateway, "credit_note", business.invoice["id"], business.account_id, amount="5"),
        )
    assert refused.value.field == "credit_outcome"
    fake_stripe.update("invoices", business.open_invoice["id"], "invoice.voided", status="void")
    with pytest.raises(ValidationError) as refused:
        workflow.submit(
            engine,
            stripe_gateway,
            manager,
            form_for(
                stripe_gateway, "credit_note", business.open_invoice["id"], business.account_id, amount="5"
            ),
        )
    assert refused.value.field == "target" and posts(fake_stripe) == 0


def test_void_open_invoice_and_refuse_a_paid_one(
    session, engine, fake_stripe, stripe_gateway, business, manager
):
    with pytest.raises(ValidationError) as refused:
        workflow.submit(
            engine,
            stripe_gateway,
            manager,
            form_for(stripe_gateway, "void_invoice", business.invoice["id"], business.account_id),
        )
    assert refused.value.field == "target" and posts(fake_stripe) == 0

    done = workflow.submit(
        engine,
        stripe_gateway,
        manager,
        form_for(stripe_gateway, "void_invoice", business.open_invoice["id"], business.account_id),
    )
    assert done.status == "executed" and done.amount == 12000
    session.expire_all()
    assert session.get(StripeInvoice, business.open_invoice["id"]).status == "void"


def test_quantity_change_with_proration_preview(
    session, engine, fake_stripe, stripe_gateway, business, manager
):
    item = business.subscription["items"]["data"][0]
    base = form_for(
        stripe_gateway,
        "change_quantity",
        business.subscription["id"],
        business.account_id,
        item_id=item["id"],
        quantity=0,
        proration_date=fake_stripe.clock,
    )
    with pytest.raises(ValidationError) as refused:
        workflow.submit(engine, stripe_gateway, manager, base)
    assert refused.value.field == "quantity" and posts(fake_stripe) == 0

    done = workflow.submit(engine, stripe_gateway, manager, replace(base, quantity=3))

    # 20 of 30 days left: -2 × 60.00 × 2/3 + 3 × 60.00 × 2/3 = +40.00
    assert done.params["preview"]["total"] == 4000 and done.amount == 4000
    assert done.status == "executed"
    session.expire_all()
    assert session.get(StripeSubscriptionItem, item["id"]).quantity == 3


def test_discount_over_100_percent_and_coupon_applied(
    session, engine, fake_stripe, stripe_gateway, business, manager
):
    with pytest.raises(ValidationError) as refused:
        workflow.submit(
            engine,
            stripe_gateway,
            manager,
            form_for(
                stripe_gateway,
                "apply_discount",
                business.subscription["id"],
                business.account_id,
                percent_off="120",
            ),
        )
    assert refused.value.field == "percent_off" and posts(fake_stripe) == 0

    done = workflow.submit(
        engine,
        stripe_gateway,
        manager,
        form_for(
            stripe_gateway,
            "apply_discount",
            business.subscription["id"],
            business.account_id,
            percent_off="10",
            duration="repeating",
            duration_in_months=3,
        ),
    )

    assert done.status == "executed" and done.amount == 3 * 1200  # 10% of 120.00 for three months
    sub = fake_stripe.get("subscriptions", business.subscription["id"])
    assert len(sub["discounts"]) == 1 and len(fake_stripe.store["coupons"]) == 1

    removal = workflow.submit(
        engine,
        stripe_gateway,
        manager,
        form_for(
            stripe_gateway,
            "remove_discount",
            business.subscription["id"],
            business.account_id,
            discount_id=sub["discounts"][0],
        ),
    )
    assert removal.status == "executed" and fake_stripe.get("subscriptions", sub["id"])["discounts"] == []
