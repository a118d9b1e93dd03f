"""Account 360 and My accounts: the screens on invented facts worked out by hand, then the pages per role."""
# ruff: noqa: F811  (the `billing` fixture is imported from tests/test_stripe_pages.py)

from __future__ import annotations

from datetime import timedelta

import pytest
import streamlit as st
from sqlmodel import Session

from dashboard.access.navigation import landing_page
from dashboard.accounts.my_accounts import MyAccountsInputs, Show, my_accounts_screen
from dashboard.accounts.screen import AccountInputs, account_screen
from models import Account, BillingCorrection, Installation, StripePayment
from tests.test_stripe_pages import NOW, billing  # noqa: F401  (the fixture: Acme past due, Globex active)

TODAY = NOW.date()


def _own(session: Session, user_id: int, *account_ids: int) -> None:
    for account_id in account_ids:
        account = session.get(Account, account_id)
        account.owner_user_id = user_id
        session.add(account)
    session.commit()


def test_account_header_facts(session, billing, make_user) -> None:
    owner = make_user("account_manager")
    _own(session, owner.user_id, 1)
    screen = account_screen(session, AccountInputs(raw_id="1"), today=TODAY, role="account_manager")
    figures = {f.label: f.value for f in screen.figures}
    # sub_a: past due (still paying), 40.00 USD a month, 2 seats, period ends in 5 days; no installation.
    assert figures == {
        "MRR": "$40.00",
        "Renewal": (NOW + timedelta(days=5)).date().isoformat(),
        "Open invoices": "1",
        "Seats billed / in Zendesk": "2 / 0",
        # no usage in either month (0 of 60) + past due (10 of 40): a churn risk
        "Health": "10 / 100 · at risk",
        "Past-due subscriptions": "1",
    }
    assert screen.facts.open_due == {"usd": 4000}
    assert screen.facts.reconciliation_issues == 1  # billed, but the app is not installed
    assert screen.title == "Acme Corp"
    assert "owner Account Manager" in screen.caption and "plan Team monthly" in screen.caption
    assert [link.url for link in screen.stripe_links] == ["https://dashboard.stripe.com/customers/cus_a"]


def test_account_timeline_is_one_list_newest_first(session, billing) -> None:
    session.add(
        BillingCorrection(
            kind="refund",
            status="executed",
            account_id=1,
            payment_id="ch_a",
            amount=1000,
            currency="usd",
            reason_category="goodwill",
            reason_text="x",
            idempotency_key="k1",
            requested_by="am@example.com",
            requested_at=NOW - timedelta(days=2),
            executed_at=NOW - timedelta(days=1),
        )
    )
    session.add(Installation(account_id=1, app_id=1, installed_at=NOW - timedelta(days=100)))
    session.commit()
    screen = account_screen(session, AccountInputs(raw_id="1"), today=TODAY, role="account_manager")
    rows = screen.timeline.rows
    assert list(rows["at"]) == sorted(rows["at"], reverse=True)
    assert list(zip(rows["source"], rows["event"], strict=True))[2:] == [
        ("Billing correction", "Correction executed in Stripe"),
        ("Billing correction", "Correction requested by am@example.com"),
        ("Stripe", "Payment succeeded"),
        ("Stripe", "Subscription started"),
        ("Zendesk", "App installed"),
    ]
    # the newest two happened at NOW: the open invoice and the privacy request
    assert set(zip(rows["source"][:2], rows["event"][:2], strict=True)) == {
        ("Stripe", "Invoice issued"),
        ("Privacy", "Privacy request logged"),
    }
    assert rows["detail"].iloc[2] == "#1 refund $10.00 · now executed"


def test_actions_say_why_they_cannot_be_done(session, billing) -> None:
    payment = session.get(StripePayment, "ch_a")
    payment.amount_refunded = 4000
    session.add(payment)
    session.commit()
    screen = account_screen(session, AccountInputs(raw_id="1"), today=TODAY, role="account_manager")
    targets = {t.id: {a.key: (a.enabled, a.reason) for a in t.actions} for t in screen.correction_targets}
    assert targets["ch_a"] == {"refund": (False, "Already fully refunded.")}
    assert targets["in_a"]["void_invoice"] == (True, "")
    assert targets["sub_a"]["remove_discount"] == (False, "It has no discount.")
    assert targets["sub_a"]["change_quantity"] == (True, "")
    executive = account_screen(session, AccountInputs(raw_id="1"), today=TODAY, role="executive")
    assert executive.correction_refusal == "Your role (Executive) cannot open “Billing corrections”."
    assert all(not a.enabled for t in executive.correction_targets for a in t.actions)
    assert (
        executive.contact_targets[0].actions[0].reason == "Your role (Executive) cannot open “Log a request”."
    )
    assert "Anna Smith" not in executive.contact_targets[0].label  # masked


def test_picker_finds_by_name_subdomain_or_id_and_own_accounts_first(session, billing, make_user) -> None:
    owner = make_user("account_manager")
    _own(session, owner.user_id, 2)
    pick = lambda search, user=None: [  # noqa: E731
        c.id
        for c in account_screen(
            session, AccountInputs(search=search, user_id=user), today=TODAY, role="account_manager"
        ).choices
    ]
    assert pick("") == [1, 2] and pick("", owner.user_id) == [2, 1]
    assert pick("GLOB") == [2] and pick("acme") == [1] and pick("2") == [2] and pick("nothing") == []
    missing = account_screen(session, AccountInputs(raw_id="999"), today=TODAY, role="account_manager")
    assert missing.chosen is None and missing.problem == "No such account."


def test_my_accounts_lists_only_the_owners_accounts(session, billing, make_user) -> None:
    owner, other = make_user("account_manager"), make_user("account_manager")
    _own(session, owner.user_id, 1)
    _own(session, other.user_id, 2)
    screen = my_accounts_screen(session, MyAccountsInputs(owner.user_id), today=TODAY)
    assert {f.label: f.value for f in screen.figures} == {
        "Accounts": "1",
        "MRR": "$40.00",
        "Renewing in 30 days": "1",
        "Past due": "1",
        "Churn risk": "1",
        "Reconciliation issues": "1",
    }
    assert list(screen.rows["company_name"]) == ["Acme Corp"] and list(screen.rows["link"]) == [
        "/account?id=1"
    ]
    globex = my_accounts_screen(session, MyAccountsInputs(other.user_id, Show.RENEWING), today=TODAY)
    # Globex renews in 40 days (EUR 50.00 = $55.00): outside the window
    assert globex.rows.empty and globex.empty == "None of these accounts is renewing in 30 days."
    assert {f.label: f.value for f in globex.figures}["MRR"] == "$55.00"
    nobody = my_accounts_screen(session, MyAccountsInputs(make_user("account_manager").user_id), today=TODAY)
    assert nobody.empty == "No accounts are assigned to you yet." and nobody.rows.empty


def test_landing_pages_by_role() -> None:
    assert {
        role: landing_page(role).key for role in ("account_manager", "privacy_officer", "executive", "admin")
    } == {
        "account_manager": "my-accounts",
        "privacy_officer": "privacy",
        "executive": "overview",
        "admin": "overview",
    }


def _texts(at) -> str:
    kinds = ("title", "caption", "markdown", "error", "warning", "info", "metric")
    return " ".join(
        str(getattr(e, "value", "")) + str(getattr(e, "label", "")) for k in kinds for e in getattr(at, k)
    )


def test_account_page_for_account_manager(run_page, make_user, billing, monkeypatch) -> None:
    switched: list[tuple[str, dict]] = []
    monkeypatch.setattr(st, "switch_page", lambda page, query_params: switched.append((page, query_params)))
    at = run_page("app_pages/account.py", make_user("account_manager"), query={"id": "1"})
    assert not at.exception
    assert at.title[0].value == "Acme Corp"
    assert [t.label for t in at.tabs] == ["Timeline", "Billing", "Zendesk and usage", "Contacts", "Privacy"]
    assert {m.label: m.value for m in at.metric}["MRR"] == "$40.00"
    assert "None" not in _texts(at)
    at.selectbox(key="account_correct_target").select("ch_a").run()
    assert not at.button(key="correct_refund").disabled
    at.button(key="correct_refund").click().run()
    # the corrections page reads these from its URL; nothing of its form is preset
    assert switched == [("app_pages/corrections.py", {"account": "1", "kind": "refund", "target": "ch_a"})]
    assert "corr_kind" not in at.session_state and "corr_target" not in at.session_state
    at.selectbox(key="account_contact").select(at.selectbox(key="account_contact").options[0]).run()
    at.button(key="privacy_privacy_request").click().run()
    assert switched[-1] == (
        "app_pages/privacy_intake.py",
        {"account": "1", "email": "anna.smith@acme.example"},
    )


def test_account_page_masks_for_executives_and_disables_actions(run_page, make_user, billing) -> None:
    at = run_page("app_pages/account.py", make_user("executive"), query={"id": "1"})
    assert not at.exception
    everything = " ".join(str(df.value.to_dict()) for df in at.dataframe)
    assert "anna.smith" not in everything and "Anna Smith" not in everything
    assert "personal data masked" in _texts(at)
    correct = next(b for b in at.button if b.label == "Correct billing")
    assert correct.disabled
    assert "Your role (Executive) cannot open “Billing corrections”." in _texts(at)


def test_account_page_picker_keeps_the_account_in_the_url(run_page, make_user, billing) -> None:
    at = run_page("app_pages/account.py", make_user("account_manager"))
    at.text_input(key="account_search").input("glob").run()
    at.selectbox(key="account_pick").select(2).run()
    assert at.query_params["id"] == ["2"] or at.query_params["id"] == "2"
    assert at.title[0].value == "Globex"
    missing = run_page("app_pages/account.py", make_user("account_manager"), query={"id": "999"})
    assert "No such account." in _texts(missing)


@pytest.mark.parametrize("role", ["account_manager", "admin"])
def test_my_accounts_page(run_page, make_user, billing, session, role) -> None:
    actor = make_user(role)
    _own(session, actor.user_id, 1)
    at = run_page("app_pages/my_accounts.py", actor)
    assert not at.exception
    assert at.title[0].value == "My accounts"
    assert {m.label: m.value for m in at.metric}["Accounts"] == "1"
    assert list(at.dataframe[0].value["company_name"]) == ["Acme Corp"]
