"""The billing corrections screen without Streamlit: invented facts, answers worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from dashboard.access.identity import Actor
from dashboard.billing.corrections import screens
from dashboard.billing.corrections.form import Checked, CorrectionForm
from dashboard.billing.corrections.kinds.refund import refundable
from dashboard.billing.corrections.screens import CorrectionsInputs, corrections_screen
from dashboard.billing.corrections.targets import Target
from models import Account, StripeCustomer, StripeInvoice, StripePayment, StripeSubscription

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
MANAGER = Actor(email="am@example.com", role="account_manager", user_id=1)
ZETA = 100  # "Zeta Ltd": after the 60 "Co .." accounts alphabetically, so never in the first 50


@pytest.fixture
def accounts(session: Session) -> None:
    session.add_all(
        [Account(id=i + 1, company_name=f"Co {i:02d}", zendesk_subdomain=f"co{i}") for i in range(60)]
    )
    session.add(Account(id=ZETA, company_name="Zeta Ltd", zendesk_subdomain="zeta"))
    session.flush()
    session.add(StripeCustomer(id="cus_z", account_id=ZETA))
    session.flush()
    session.add_all(
        [
            # 50.00 EUR paid, 15.00 refunded: offered
            StripePayment(
                id="ch_part",
                customer_id="cus_z",
                currency="eur",
                status="succeeded",
                amount=5000,
                amount_captured=5000,
                amount_refunded=1500,
                created=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
            ),
            # fully refunded, and failed: not offered
            StripePayment(
                id="ch_full",
                customer_id="cus_z",
                currency="eur",
                status="succeeded",
                amount=2000,
                amount_captured=2000,
                amount_refunded=2000,
                created=datetime(2026, 3, 2, tzinfo=UTC),
            ),
            StripePayment(
                id="ch_failed",
                customer_id="cus_z",
                currency="eur",
                status="failed",
                amount=3000,
                amount_captured=0,
                amount_refunded=0,
                created=datetime(2026, 3, 3, tzinfo=UTC),
            ),
            StripeInvoice(
                id="in_open",
                number="Z-1",
                customer_id="cus_z",
                status="open",
                currency="eur",
                total=12000,
                amount_remaining=12000,
                created=datetime(2026, 3, 4, tzinfo=UTC),
            ),
            StripeInvoice(
                id="in_paid",
                number="Z-2",
                customer_id="cus_z",
                status="paid",
                currency="eur",
                total=8000,
                amount_remaining=0,
                created=datetime(2026, 3, 5, tzinfo=UTC),
            ),
            StripeSubscription(
                id="sub_z", customer_id="cus_z", account_id=ZETA, status="past_due", currency="eur"
            ),
            StripeSubscription(
                id="sub_old", customer_id="cus_z", account_id=ZETA, status="canceled", currency="eur"
            ),
        ]
    )
    session.commit()


def screen_for(session: Session, actor: Actor = MANAGER, **inputs) -> screens.CorrectionsScreen:
    return corrections_screen(session, CorrectionsInputs(**inputs), now=NOW, actor=actor)


def test_the_url_is_read_and_written_back() -> None:
    inputs = CorrectionsInputs.from_query({"account": "100", "kind": "void_invoice", "target": "in_open"})
    assert inputs == CorrectionsInputs(account_id=100, kind="void_invoice", target_id="in_open")
    # junk in the URL is no choice at all
    assert CorrectionsInputs.from_query({"account": "abc", "kind": "steal"}) == CorrectionsInputs()
    assert CorrectionsInputs.from_query({"account": "9" * 20}).account_id is None  # overflows the store


def test_the_chosen_account_is_offered_even_outside_the_first_50(session, accounts) -> None:
    screen = screen_for(session, account_id=ZETA)
    assert len(screen.accounts) == 51  # the first 50 alphabetically, and Zeta first
    assert next(iter(screen.accounts.items())) == (ZETA, "Zeta Ltd (zeta)")
    assert screen.account_id == ZETA
    # a search that misses the chosen account still keeps it, first, then the matches
    screen = screen_for(session, account_id=ZETA, search="co 05")
    assert screen.accounts == {ZETA: "Zeta Ltd (zeta)", 6: "Co 05 (co5)"}


def test_an_unknown_account_is_no_choice(session, accounts) -> None:
    screen = screen_for(session, account_id=999)
    assert screen.account_id is None and screen.targets == {} and not screen.nothing_to_correct
    assert screen.query_params() == {"kind": "refund"}


def test_refund_offers_only_payments_with_something_left(session, accounts) -> None:
    screen = screen_for(session, account_id=ZETA, kind="refund", target_id="ch_part")
    assert screen.target_label == "Payment"
    assert screen.targets == {"ch_part": "2026-03-01 · €50.00 · card · ch_part · refunded €15.00"}
    assert screen.target_id == "ch_part"
    assert screen.query_params() == {"kind": "refund", "account": "100", "target": "ch_part"}
    assert screen.proration_date == 1773144000  # 2026-03-10 12:00 UTC
    assert screen.blocked is None


def test_each_kind_offers_what_it_acts_on(session, accounts) -> None:
    credit = screen_for(session, account_id=ZETA, kind="credit_note")
    assert credit.targets == {
        "in_paid": "Z-2 · Paid · €80.00",
        "in_open": "Z-1 · Open · €120.00 · due €120.00",
    }
    void = screen_for(session, account_id=ZETA, kind="void_invoice", target_id="in_paid")
    assert list(void.targets) == ["in_open"] and void.target_id is None  # a paid invoice cannot be voided
    for kind in ("apply_discount", "remove_discount", "change_quantity", "change_price"):
        screen = screen_for(session, account_id=ZETA, kind=kind)
        assert screen.target_label == "Subscription"
        assert screen.targets == {"sub_z": "sub_z · Past due · EUR"}  # the canceled one is not offered
    assert screen_for(session, account_id=1, kind="refund").nothing_to_correct


def test_roles_that_cannot_correct_see_why(session, accounts) -> None:
    screen = screen_for(session, Actor(email="x@example.com", role="executive"), account_id=ZETA)
    assert screen.blocked == "Your role (Executive) cannot correct billing."


def charge(**fields) -> Target:
    return Target("charges", {"id": "ch_1", "currency": "usd", **fields}, "fp")


def test_refundable_and_the_current_state_of_a_payment() -> None:
    paid = charge(amount_captured=12345, amount_refunded=2345)
    assert refundable(paid.object) == 10000
    assert screens.current_state(paid) == (
        "In Stripe now: paid $123.45, refunded $23.45, **$100.00 refundable**."
    )
    assert screens.target_refusal("refund", paid) is None
    spent = charge(amount_captured=500, amount_refunded=500)
    assert screens.target_refusal("refund", spent) == "Stripe says nothing is left to refund on this payment."


def test_current_state_of_an_invoice_and_a_subscription() -> None:
    invoice = Target(
        "invoices",
        {
            "id": "in_1",
            "currency": "jpy",
            "status": "open",
            "total": 12000,
            "amount_remaining": 7000,
            "pre_payment_credit_notes_amount": 3000,
            "post_payment_credit_notes_amount": 2000,
        },
        "fp",
    )
    assert (
        screens.current_state(invoice) == "In Stripe now: open, total ¥12,000, due ¥7,000, credited ¥5,000."
    )
    item = {"id": "si_1", "quantity": 3, "price": {"id": "price_t", "nickname": "Team", "unit_amount": 1999}}
    sub = Target(
        "subscriptions",
        {
            "id": "sub_1",
            "currency": "usd",
            "status": "past_due",
            "items": {"data": [item]},
            "discounts": ["d"],
        },
        "fp",
    )
    assert screens.current_state(sub) == "In Stripe now: past due, 3 × Team ($19.99), 1 discount(s)."
    assert screens.item_options(sub) == {"si_1": "3 × Team"}
    assert screens.item_quantity(sub, "si_1") == 3
    assert screens.item_quantity(sub, None) == 1


def form(kind: str = "refund", amount: str = "", currency: str = "eur") -> CorrectionForm:
    return CorrectionForm(
        kind=kind,
        account_id=1,
        target_id="x",
        fingerprint="f",
        form_token="t",
        amount=amount,
        currency=currency,
    )


def test_submit_label_repeats_a_valid_amount_only() -> None:
    assert screens.submit_label(form(amount="1.5")) == "Refund €1.50"
    assert screens.submit_label(form(amount="1,5")) == "Refund"  # not a valid amount: no figure
    assert screens.submit_label(form(kind="void_invoice")) == "Void invoice"  # it asks for no amount


def test_preview_of_a_proration_and_of_a_credit_note() -> None:
    target = charge()
    proration = screens.preview(
        Checked(
            target,
            currency="usd",
            preview={
                "lines": [
                    {"description": "Unused time", "amount": -1000},
                    {"description": "New plan", "amount": 2500},
                ],
                "total": 1500,
            },
        ),
        form(currency="usd"),
    )
    assert proration.lines.to_dict("records") == [
        {"description": "Unused time", "amount": -1000, "currency": "usd"},
        {"description": "New plan", "amount": 2500, "currency": "usd"},
    ]
    assert proration.sentences == [
        "Net now: **$15.00** (positive: charged on the next invoice; negative: credited)."
    ]
    credit = screens.preview(
        Checked(target, amount=2000, currency="eur", preview={"total": 2000, "type": "post_payment"}), form()
    )
    assert credit.lines.empty
    assert credit.sentences == ["**Credit note preview**: €20.00, post payment.", "Amount: **€20.00**."]
