"""AppTest of the Subscriptions and Revenue pages, Account 360's refusal and the Stripe sync tab, per role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from dashboard.core import clock
from models import (
    Account,
    App,
    AuditEvent,
    Contact,
    FxRate,
    MrrChange,
    PrivacyRequest,
    StripeCustomer,
    StripeInvoice,
    StripePayment,
    StripePrice,
    StripeSubscription,
    StripeSubscriptionItem,
)

NOW = datetime(2026, 11, 18, 21, 30, tzinfo=UTC)  # late evening UTC: already tomorrow in Tokyo


@pytest.fixture
def billing(engine: Engine, freeze) -> None:
    """Two accounts: Acme pays 40.00 USD (past due), Globex pays EUR 50.00 (= 55.00 USD)."""
    freeze(NOW)
    with Session(engine) as session:
        session.add_all(
            [
                App(id=1, slug="tagger", name="Ticket Tagger", stripe_product_id="prod_t"),
                Account(id=1, company_name="Acme Corp", zendesk_subdomain="acme"),
                Account(id=2, company_name="Globex", zendesk_subdomain="globex"),
                FxRate(currency="eur", rate=Decimal("1.10")),
                StripePrice(
                    id="price_m",
                    product_id="prod_t",
                    nickname="Team monthly",
                    currency="usd",
                    unit_amount=2000,
                    recurring_interval="month",
                ),
            ]
        )
        session.flush()
        session.add_all(
            [
                Contact(
                    account_id=1, name="Anna Smith", email="anna.smith@acme.example", phone="+1 555 1234567"
                ),
                StripeCustomer(id="cus_a", account_id=1, email="billing@acme.example"),
                StripeCustomer(id="cus_g", account_id=2, email="ap@globex.example"),
                StripeSubscription(
                    id="sub_a",
                    customer_id="cus_a",
                    account_id=1,
                    app_id=1,
                    status="past_due",
                    currency="usd",
                    mrr=4000,
                    created=NOW - timedelta(days=90),
                    current_period_end=NOW + timedelta(days=5),
                ),
                StripeSubscription(
                    id="sub_g",
                    customer_id="cus_g",
                    account_id=2,
                    app_id=1,
                    status="active",
                    currency="eur",
                    mrr=5000,
                    created=NOW - timedelta(days=60),
                    current_period_end=NOW + timedelta(days=40),
                ),
                StripeSubscriptionItem(id="si_a", subscription_id="sub_a", price_id="price_m", quantity=2),
                StripeSubscriptionItem(id="si_g", subscription_id="sub_g", price_id="price_m", quantity=3),
                MrrChange(
                    subscription_id="sub_a",
                    account_id=1,
                    customer_id="cus_a",
                    effective_on=(NOW - timedelta(days=90)).date(),
                    mrr=4000,
                    currency="usd",
                    status="active",
                ),
                MrrChange(
                    subscription_id="sub_g",
                    account_id=2,
                    customer_id="cus_g",
                    effective_on=(NOW - timedelta(days=60)).date(),
                    mrr=5000,
                    currency="eur",
                    status="active",
                ),
                StripeInvoice(
                    id="in_a",
                    customer_id="cus_a",
                    subscription_id="sub_a",
                    number="A-1",
                    status="open",
                    currency="usd",
                    total=4000,
                    amount_due=4000,
                    amount_remaining=4000,
                    created=NOW,
                ),
                StripePayment(
                    id="ch_a",
                    customer_id="cus_a",
                    amount=4000,
                    amount_captured=4000,
                    currency="usd",
                    status="succeeded",
                    paid=True,
                    card_brand="visa",
                    card_last4="4242",
                    created=NOW - timedelta(days=30),
                ),
                PrivacyRequest(
                    type="access",
                    subject_name="Anna Smith",
                    subject_email="anna.smith@acme.example",
                    account_id=1,
                    jurisdiction="gdpr",
                    received_on=NOW.date(),
                ),
            ]
        )
        session.commit()


def _texts(at) -> str:
    return " ".join(
        str(e.value)
        for kind in ("title", "caption", "markdown", "error", "warning", "info")
        for e in getattr(at, kind)
    )


@pytest.mark.parametrize("role", ["account_manager", "admin"])
def test_subscriptions_page(run_page, make_user, billing, role: str) -> None:
    at = run_page("app_pages/subscriptions.py", make_user(role))
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["id"]) == ["sub_g", "sub_a"]  # newest first
    assert list(table["mrr_reporting"]) == [55.0, 40.0]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Past due"] == "1" and metrics["MRR (filtered)"] == "$95.00"


def test_subscriptions_filters_from_url(run_page, make_user, billing) -> None:
    at = run_page("app_pages/subscriptions.py", make_user("account_manager"), query={"status": "past_due"})
    assert list(at.dataframe[0].value["id"]) == ["sub_a"]
    at.text_input(key="q").input("nothing-like-this").run()
    assert "No subscriptions match" in _texts(at)


@pytest.mark.parametrize("role", ["executive", "privacy_officer"])
def test_subscriptions_refused(run_page, make_user, billing, role: str) -> None:
    at = run_page("app_pages/subscriptions.py", make_user(role))
    assert "cannot open" in _texts(at) and not at.dataframe


@pytest.mark.parametrize("role", ["executive", "admin"])
def test_revenue_page(run_page, make_user, billing, role: str) -> None:
    at = run_page("app_pages/revenue.py", make_user(role))
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["MRR now"] == "$95.00" and metrics["ARR now"] == "$1,140.00"
    months = next(d.value for d in at.dataframe if "paying_accounts" in d.value)
    assert months["mrr"].iloc[-1] == "$95.00"
    assert len(at.get("plotly_chart")) >= 4


@pytest.mark.parametrize("role", ["account_manager", "privacy_officer"])
def test_revenue_refused(run_page, make_user, billing, role: str) -> None:
    assert "cannot open" in _texts(run_page("app_pages/revenue.py", make_user(role)))


def test_revenue_bad_range(run_page, make_user, billing) -> None:
    at = run_page(
        "app_pages/revenue.py", make_user("executive"), query={"from": "2026-05-01", "to": "2026-01-01"}
    )
    assert "The start is after the end." in _texts(at)


# Account 360's page and screen: tests/test_account_screens.py (this module's `billing` world).


def test_account_page_refused_for_privacy_officer(run_page, make_user, billing) -> None:
    assert "cannot open" in _texts(
        run_page("app_pages/account.py", make_user("privacy_officer"), query={"id": "1"})
    )


def test_stripe_tab_saves_fx_rate_and_refuses_bad_input(run_page, make_user, billing, engine) -> None:
    at = run_page("app_pages/sync.py", make_user("admin"))
    assert not at.exception
    at.text_input[0].input("GBP")
    at.text_input[1].input("-2")
    at.button(key="FormSubmitter:fx_rate-Save rate").click().run()
    assert "Rate must be a positive number." in _texts(at)
    with Session(engine) as session:
        assert session.exec(select(FxRate).where(FxRate.currency == "gbp")).first() is None
    at.text_input[1].input("1.27")
    at.button(key="FormSubmitter:fx_rate-Save rate").click().run()
    with Session(engine) as session:
        assert session.get(FxRate, ("gbp", clock.today())).rate == Decimal("1.27")
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "fx_rate.set")).one()


def test_stripe_tab_sync_now_without_key(run_page, make_user, billing, monkeypatch) -> None:
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    at = run_page("app_pages/sync.py", make_user("admin"))
    at.button(key="stripe_sync_now").click().run()
    assert "No Stripe API key is configured" in _texts(at)


def test_subscriptions_filters_show_words_while_the_url_keeps_machine_values(
    run_page, make_user, billing
) -> None:
    at = run_page("app_pages/subscriptions.py", make_user("account_manager"), query={"status": "past_due"})
    status = at.multiselect(key="status")
    assert status.value == ["past_due"] and list(at.dataframe[0].value["id"]) == ["sub_a"]
    assert "Past due" in status.options and "past_due" not in status.options
    assert at.query_params["status"] == "past_due"
    status.set_value(["past_due", "active"]).run()
    at.selectbox(key="renews").set_value("30").run()
    assert at.query_params["status"] == ["past_due", "active"] and at.query_params["renews"] == "30"
    assert at.selectbox(key="renews").options[:2] == ["any time", "7 days"]
    at.query_params.clear()  # back on the page from the menu: the choice is kept, as a bound widget's is
    at.run()
    assert at.multiselect(key="status").value == ["past_due", "active"]
    assert at.query_params["status"] == ["past_due", "active"] and at.query_params["renews"] == "30"
    at.multiselect(key="status").set_value([])
    at.selectbox(key="renews").set_value("any").run()
    assert not at.query_params and len(at.dataframe[0].value) > 1  # the defaults leave no parameter


def test_the_first_visits_after_a_start_are_served_by_the_warm_start(
    run_page, make_user, billing, engine
) -> None:
    """`warm_start`'s loads hit the very caches the pages read: after it, a page's first run shows what
    was loaded at start, until a write clears the group."""
    from dashboard.ui import page_data
    from dashboard.ui.cache_groups import Group, clear_group

    page_data._warm(clock.today())  # what warm_start runs in its thread
    with Session(engine) as session:  # a later change no page has been told about
        for subscription in session.exec(select(StripeSubscription)):
            subscription.status = "canceled"
            session.add(subscription)
        for change in session.exec(select(MrrChange)):
            session.delete(change)
        session.commit()
    revenue = {m.label: m.value for m in run_page("app_pages/revenue.py", make_user("executive")).metric}
    overview = {m.label: m.value for m in run_page("app_pages/overview.py", make_user("executive")).metric}
    subscriptions = run_page("app_pages/subscriptions.py", make_user("account_manager"))
    assert revenue["MRR now"] == overview["MRR"] == "$95.00"
    assert {m.label: m.value for m in subscriptions.metric}["Paying"] == "2"
    clear_group(Group.STRIPE)  # as a Stripe sync does
    subscriptions = run_page("app_pages/subscriptions.py", make_user("account_manager"))
    assert {m.label: m.value for m in subscriptions.metric}["Paying"] == "0"
