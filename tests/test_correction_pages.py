"""AppTest of the corrections form, approvals queue and history, per role and with bad inputs.

Each bad input must show a clear message, store nothing and send nothing to Stripe (the fake counts).
"""

from __future__ import annotations

import pytest
from sqlmodel import Session

from dashboard.billing.corrections import workflow
from dashboard.core.settings import reset_settings_cache
from dashboard.simulators.stripe import TEST_KEY
from tests.corrections_helpers import corrections, form_for, posts, refunds_of, seed_business

PAGES = ("app_pages/corrections.py", "app_pages/correction_approvals.py", "app_pages/correction_history.py")


@pytest.fixture
def business(engine, fake_stripe, app_env, monkeypatch):
    monkeypatch.setenv("STRIPE_API_KEY", TEST_KEY)
    monkeypatch.setenv("STRIPE_API_BASE", fake_stripe.url)
    monkeypatch.setenv("STRIPE_MAX_NETWORK_RETRIES", "0")
    reset_settings_cache()
    with Session(engine, expire_on_commit=False) as session:
        return seed_business(session, fake_stripe)


@pytest.fixture
def manager(make_user):
    return make_user("account_manager")


def errors_of(at) -> list[str]:
    return [e.value for e in at.error]


def open_form(run_page, actor, business, kind: str, target_id: str):
    at = run_page("app_pages/corrections.py", actor, query={"account": str(business.account_id)})
    at.selectbox(key="corr_kind").set_value(kind).run()
    at.selectbox(key="corr_target").set_value(target_id).run()
    assert not at.exception and not errors_of(at)
    return at


def fill_reason(at, text: str = "Customer was billed twice") -> None:
    at.selectbox(key="corr_reason_category").set_value("billing_error")
    at.text_area(key="corr_reason_text").set_value(text)


def submit(at):
    return at.button(key="corr_submit").click().run()


def assert_nothing_happened(session, fake_stripe) -> None:
    assert corrections(session) == []
    assert posts(fake_stripe) == 0


@pytest.mark.parametrize("page_file", PAGES)
@pytest.mark.parametrize("role", ["executive", "privacy_officer"])
def test_roles_without_billing_rights_cannot_open_the_pages(run_page, make_user, page_file, role):
    at = run_page(page_file, make_user(role))
    assert any("cannot open" in message for message in errors_of(at))
    assert not at.button and not at.text_input


def test_the_form_opens_on_the_url_and_keeps_choices_in_it(run_page, fake_stripe, business, manager):
    """What Account 360's "Correct billing" sends: account, kind and object, with nothing preset."""
    query = {"account": str(business.account_id), "kind": "refund", "target": business.charge["id"]}
    at = run_page("app_pages/corrections.py", manager, query=query)
    assert not at.exception and not errors_of(at)
    assert at.selectbox(key="corr_account").value == business.account_id
    assert at.selectbox(key="corr_kind").value == "refund"
    assert at.selectbox(key="corr_target").value == business.charge["id"]
    assert "€120.00 refundable" in " ".join(c.value for c in at.caption)
    at.selectbox(key="corr_kind").set_value("credit_note").run()
    # a new action drops the object chosen for the old one
    assert at.query_params == {"account": str(business.account_id), "kind": "credit_note"}
    assert at.selectbox(key="corr_target").value is None


@pytest.mark.parametrize(
    ("amount", "message"),
    [("500", "still refundable"), ("0", "more than zero"), ("12.345", "at most 2 decimals")],
)
def test_refund_form_refuses_bad_amounts(session, run_page, fake_stripe, business, manager, amount, message):
    at = open_form(run_page, manager, business, "refund", business.charge["id"])
    assert "€120.00 refundable" in " ".join(c.value for c in at.caption)
    at.text_input(key="corr_amount").set_value(amount)
    fill_reason(at)
    at = submit(at)
    assert any(message in e for e in errors_of(at)), errors_of(at)
    assert_nothing_happened(session, fake_stripe)


def test_refund_form_requires_a_reason(session, run_page, fake_stripe, business, manager):
    at = open_form(run_page, manager, business, "refund", business.charge["id"])
    at.text_input(key="corr_amount").set_value("10")
    at.selectbox(key="corr_reason_category").set_value("billing_error")
    at = submit(at)
    assert any("Explain the reason" in e for e in errors_of(at))
    assert_nothing_happened(session, fake_stripe)


def test_refund_form_refuses_a_stale_form(session, run_page, fake_stripe, business, manager):
    at = open_form(run_page, manager, business, "refund", business.charge["id"])
    fake_stripe.update("charges", business.charge["id"], "charge.refunded", amount_refunded=100)
    at.text_input(key="corr_amount").set_value("10")
    fill_reason(at)
    at = submit(at)
    assert any("changed in Stripe since you opened the form" in e for e in errors_of(at))
    assert_nothing_happened(session, fake_stripe)


def test_refund_form_executes_and_links_to_the_account(session, run_page, fake_stripe, business, manager):
    at = open_form(run_page, manager, business, "refund", business.charge["id"])
    at.text_input(key="corr_amount").set_value("30.00")
    fill_reason(at)
    at = submit(at)
    assert not errors_of(at) and not at.exception
    assert any("executed" in s.value for s in at.success)
    assert [r["amount"] for r in refunds_of(fake_stripe, business.charge["id"])] == [3000]
    assert [c.status for c in corrections(session)] == ["executed"]


@pytest.mark.parametrize("typed", ["1,50", "١٢", " 12 "])
def test_refund_form_refuses_amounts_not_typed_as_digits_and_a_dot(
    session, run_page, fake_stripe, business, manager, typed
):
    at = open_form(run_page, manager, business, "refund", business.charge["id"])
    at.text_input(key="corr_amount").set_value(typed)
    fill_reason(at)
    at = submit(at)
    assert any("e.g. 12.50 EUR" in e for e in errors_of(at)), errors_of(at)
    assert_nothing_happened(session, fake_stripe)


def test_submit_button_repeats_the_amount(run_page, fake_stripe, business, manager):
    at = open_form(run_page, manager, business, "refund", business.charge["id"])
    at.text_input(key="corr_amount").set_value("1.50").run()
    assert at.button(key="corr_submit").label == "Refund €1.50"


def test_a_lost_answer_shows_unknown_and_check_now_finds_the_refund(
    session, run_page, fake_stripe, business, manager
):
    at = open_form(run_page, manager, business, "refund", business.charge["id"])
    at.text_input(key="corr_amount").set_value("30.00")
    fill_reason(at)
    fake_stripe.lose_response_next(r"POST /v1/refunds")
    at = submit(at)
    assert any("Checking with Stripe" in w.value for w in at.warning)
    [unknown] = corrections(session)
    assert unknown.status == "unknown"

    at = at.button(key=f"check_{unknown.id}").click().run()

    assert any("executed" in s.value for s in at.success)
    assert len(refunds_of(fake_stripe, business.charge["id"])) == 1 and posts(fake_stripe) == 1
    history = run_page("app_pages/correction_history.py", manager)
    assert not history.warning  # nothing left to check


def test_credit_note_form_refuses_more_than_the_invoice_and_a_missing_outcome(
    session, run_page, fake_stripe, business, manager
):
    at = open_form(run_page, manager, business, "credit_note", business.invoice["id"])
    at.text_input(key="corr_amount").set_value("120.01")
    fill_reason(at)
    at = submit(at)
    assert any("can still be credited" in e for e in errors_of(at))
    at.text_input(key="corr_amount").set_value("20")
    at.button(key="corr_preview").click().run()
    assert any("Credit note preview" in m.value for m in at.markdown), [m.value for m in at.markdown]
    assert_nothing_happened(session, fake_stripe)


def test_discount_form_refuses_more_than_100_percent(session, run_page, fake_stripe, business, manager):
    at = open_form(run_page, manager, business, "apply_discount", business.subscription["id"])
    at.text_input(key="corr_percent").set_value("150")
    fill_reason(at)
    at = submit(at)
    assert any("more than 100%" in e for e in errors_of(at))
    assert_nothing_happened(session, fake_stripe)


def test_remove_discount_form_requires_a_discount(session, run_page, fake_stripe, business, manager):
    at = open_form(run_page, manager, business, "remove_discount", business.subscription["id"])
    fill_reason(at)
    at = submit(at)
    assert any("Choose the discount to remove" in e for e in errors_of(at))
    assert_nothing_happened(session, fake_stripe)


def test_quantity_form_refuses_zero(session, run_page, fake_stripe, business, manager):
    at = open_form(run_page, manager, business, "change_quantity", business.subscription["id"])
    at.number_input(key="corr_quantity").set_value(0)
    fill_reason(at)
    at = submit(at)
    assert any("at least 1" in e for e in errors_of(at))
    assert_nothing_happened(session, fake_stripe)


def test_price_form_requires_a_price(session, run_page, fake_stripe, business, manager):
    at = open_form(run_page, manager, business, "change_price", business.subscription["id"])
    fill_reason(at)
    at = submit(at)
    assert any("Choose the new price" in e for e in errors_of(at))
    assert_nothing_happened(session, fake_stripe)


def test_void_form_refuses_an_invoice_paid_meanwhile(session, run_page, fake_stripe, business, manager):
    at = open_form(run_page, manager, business, "void_invoice", business.open_invoice["id"])
    fake_stripe.update("invoices", business.open_invoice["id"], "invoice.paid", status="paid")
    fill_reason(at)
    at = submit(at)
    assert any("changed in Stripe" in e for e in errors_of(at))
    assert_nothing_happened(session, fake_stripe)


@pytest.fixture
def waiting(engine, business, manager, stripe_gateway, monkeypatch):
    """A 30.00 EUR refund above a 10.00 USD threshold, requested by `manager`."""
    monkeypatch.setenv("CORRECTION_APPROVAL_THRESHOLD_MINOR", "1000")
    reset_settings_cache()
    form = form_for(stripe_gateway, "refund", business.charge["id"], business.account_id, amount="30")
    return workflow.submit(engine, stripe_gateway, manager, form)


def test_requester_cannot_approve_in_the_queue(run_page, waiting, manager):
    assert waiting.status == "pending_approval"
    at = run_page("app_pages/correction_approvals.py", manager)
    assert any("another account manager or admin must decide" in c.value for c in at.caption)
    assert not [b for b in at.button if b.key and b.key.startswith("approve_")]


def test_approval_needs_a_reason_then_executes(session, run_page, fake_stripe, waiting, make_user, business):
    admin = make_user("admin")
    at = run_page("app_pages/correction_approvals.py", admin)
    at = at.button(key=f"approve_{waiting.id}").click().run()
    assert any("reason for the decision" in e for e in errors_of(at))
    assert refunds_of(fake_stripe, business.charge["id"]) == []
    at.text_input(key=f"decision_{waiting.id}").set_value("Matches ticket 4411")
    at = at.button(key=f"approve_{waiting.id}").click().run()
    assert any("executed" in s.value for s in at.success)
    assert len(refunds_of(fake_stripe, business.charge["id"])) == 1
    assert corrections(session)[0].decided_by == admin.email


def test_history_filters_from_the_url_and_offers_csv(run_page, waiting, manager):
    at = run_page("app_pages/correction_history.py", manager, query={"status": "Waiting for approval"})
    assert at.multiselect(key="status").value == ["pending_approval"]
    assert len(at.dataframe[0].value) == 1 and at.get("download_button")
    at = run_page("app_pages/correction_history.py", manager, query={"status": "Executed"})
    assert not at.dataframe and "No corrections match these filters." in [c.value for c in at.caption]


def test_rejection_in_the_queue_is_recorded(session, run_page, fake_stripe, waiting, make_user):
    at = run_page("app_pages/correction_approvals.py", make_user("account_manager"))
    at.text_input(key=f"decision_{waiting.id}").set_value("No ticket for this")
    at = at.button(key=f"reject_{waiting.id}").click().run()
    assert not at.exception
    [correction] = corrections(session)
    assert correction.status == "rejected" and correction.decision_reason == "No ticket for this"
    assert posts(fake_stripe) == 0


def test_history_retries_a_failed_correction_through_stripe(
    session, run_page, fake_stripe, business, manager
):
    at = open_form(run_page, manager, business, "refund", business.charge["id"])
    at.text_input(key="corr_amount").set_value("30.00")
    fill_reason(at)
    fake_stripe.fail_next(r"POST /v1/refunds", status=400)
    submit(at)
    [failed] = corrections(session)
    assert failed.status == "failed" and refunds_of(fake_stripe, business.charge["id"]) == []

    history = run_page("app_pages/correction_history.py", manager)
    assert (
        history.selectbox(key="retry_id").value == failed.id
        and not history.button(key="retry_button").disabled
    )
    history = history.button(key="retry_button").click().run()

    assert not history.exception and any("executed" in s.value for s in history.success)
    assert len(refunds_of(fake_stripe, business.charge["id"])) == 1
    session.expire_all()
    assert corrections(session)[0].status == "executed"
