"""An account manager refunds part of a demo payment end to end, against a fake Stripe server, and
Stripe's answer to the refund is lost on the way back.

The console runs as the README starts it (default SQLite store with the demo data), with its Stripe
key and API base pointed at a fake Stripe that holds the same payment as the demo mirror. The fake
carries out the refund and drops the connection: the console shows the correction as unknown
("Checking with Stripe…"), and "Check now" finds the refund in Stripe instead of sending it again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from dashboard.core.bootstrap import prepare_store
from dashboard.core.money import format_money
from dashboard.core.settings import Settings
from dashboard.demo.core import DEMO_PASSWORD, DEMO_USERS
from dashboard.simulators.stripe import TEST_KEY, StripeSimulator
from models import BillingCorrection, StripePayment, StripeRefund
from tests.browser.conftest import (
    DemoPayment,
    shot,
    sign_in,
    start_streamlit,
    stop,
    untouched_demo_payment,
    wait_idle,
)


def _mirror_into(fake: StripeSimulator, payment: StripePayment) -> None:
    """The demo payment as Stripe would have it (same id, amounts, card)."""
    charge = fake.make(
        "charge",
        id=payment.id,
        amount=payment.amount,
        amount_captured=payment.amount,
        amount_refunded=0,
        currency=payment.currency,
        customer=payment.customer_id,
        payment_intent=payment.payment_intent_id,
        paid=True,
        captured=True,
        status="succeeded",
        refunded=False,
        created=int(payment.created.timestamp()),
    )
    charge["payment_method_details"] = {
        "type": "card",
        "card": {
            **fake.fixtures["charge"]["payment_method_details"]["card"],
            "brand": payment.card_brand,
            "last4": payment.card_last4,
        },
    }
    fake.add("charges", charge)


@pytest.fixture(scope="module")
def console(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, StripeSimulator, Path, DemoPayment]]:
    data_dir = tmp_path_factory.mktemp("corrections") / "data"
    data_dir.mkdir()
    engine = prepare_store(Settings(data_dir=data_dir))  # the demo store the console would seed itself
    with Session(engine) as session:
        chosen = untouched_demo_payment(session)
        fake = StripeSimulator().start()
        _mirror_into(fake, session.get(StripePayment, chosen.id))
    engine.dispose()
    process, base = start_streamlit(
        data_dir,
        extra_env={
            "STRIPE_API_KEY": TEST_KEY,
            "STRIPE_API_BASE": fake.url,
            "STRIPE_MAX_NETWORK_RETRIES": "0",
        },
    )
    yield base, fake, data_dir / "console.sqlite3", chosen
    stop(process)
    fake.stop()


def choose(page, label: str, option: str | re.Pattern[str]) -> None:
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option).first.click()
    wait_idle(page)


def test_partial_refund_whose_answer_is_lost_is_checked_not_repeated(console, page) -> None:
    base, fake, database, payment = console
    email, _ = DEMO_USERS["account_manager"]
    sign_in(page, base, email, DEMO_PASSWORD)
    page.get_by_role("link", name="Billing corrections").click()
    wait_idle(page)
    page.get_by_role("textbox", name="Find the account").fill(payment.company)
    page.keyboard.press("Enter")
    wait_idle(page)
    choose(page, "Account", re.compile(re.escape(payment.company)))
    choose(page, "Payment", re.compile(re.escape(payment.id)))
    page.get_by_text("refundable").first.wait_for()

    half = payment.amount // 2
    typed = f"{half // 100}.{half % 100:02d}"
    page.get_by_role("textbox", name=re.compile(r"^Amount")).fill(typed)
    choose(page, "Reason category", "Service problem")
    page.get_by_role("textbox", name="Reason").fill("Outage on their Zendesk for three days; half refunded.")
    page.get_by_role("button", name="Preview").click()
    wait_idle(page)
    page.get_by_text("Amount:").first.wait_for()
    shot(page, "correction-refund-preview")
    assert fake.calls_to("/v1/refunds") == 0  # previewing sends nothing

    fake.lose_response_next(r"POST /v1/refunds")  # Stripe refunds; the answer never arrives
    page.get_by_role("button", name=f"Refund {format_money(half, payment.currency)}").click()
    wait_idle(page)
    page.get_by_text(re.compile(r"Correction #\d+: Checking with Stripe")).wait_for()
    shot(page, "correction-refund-unknown")
    assert len([r for r in fake.store["refunds"].values() if r["charge"] == payment.id]) == 1

    page.get_by_role("button", name="Check now").click()
    wait_idle(page)
    page.get_by_text(re.compile(r"Correction #\d+: executed")).wait_for()
    shot(page, "correction-refund-checked")
    [refund] = [r for r in fake.store["refunds"].values() if r["charge"] == payment.id]
    assert refund["amount"] == half and fake.calls["POST /v1/refunds"] == 1  # found, not sent again

    page.get_by_role("button", name="Open the updated account").click()
    page.wait_for_url(re.compile(rf"/account\?id={payment.account_id}$"))
    wait_idle(page)
    page.get_by_role("tab", name="Billing").click()  # Account 360 keeps refunds and corrections there
    page.get_by_role("heading", name="Refunds").wait_for()
    page.get_by_role("heading", name="Billing corrections").wait_for()
    shot(page, "correction-account-after-refund")

    from dashboard.core.db import make_engine

    store = make_engine(f"sqlite:///{database}")
    with Session(store) as session:
        assert session.get(StripeRefund, refund["id"]).amount == half
        assert session.get(StripePayment, payment.id).amount_refunded == half
        [correction] = session.exec(
            select(BillingCorrection).where(BillingCorrection.payment_id == payment.id)
        )
        assert correction.status == "executed" and correction.stripe_result_id == refund["id"]
        assert correction.result["found_in_stripe"] is True
    store.dispose()
