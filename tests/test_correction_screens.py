"""The correction screens without AppTest: the approvals queue oldest first with how long each has waited;
the history newest first, filtered, with what is still unsettled and what may be retried."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from sqlmodel import Session, select

from dashboard.billing.corrections import workflow
from dashboard.billing.corrections.history import HistoryFilters
from dashboard.billing.corrections.screens import (
    QUEUE_COLUMNS,
    Decision,
    approvals_screen,
    correction_history_screen,
    decide,
)
from dashboard.core.errors import ConflictError
from dashboard.core.settings import reset_settings_cache
from dashboard.presentation.columns import csv_frame, display_text
from dashboard.simulators.stripe import TEST_KEY
from models import Account, BillingCorrection
from models.billing import CorrectionStatus
from tests.corrections_helpers import form_for, posts, refunds_of, seed_business

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _correction(
    key: str, requested_at: datetime, status: str = CorrectionStatus.PENDING_APPROVAL
) -> BillingCorrection:
    return BillingCorrection(
        kind="refund",
        status=status,
        account_id=1,
        amount=3000,
        currency="eur",
        reason_category="billing_error",
        reason_text="Charged twice",
        idempotency_key=key,
        requested_by="am@example.com",
        requested_at=requested_at,
    )


def test_the_queue_is_oldest_first_with_its_wait(session: Session) -> None:
    session.add(Account(id=1, company_name="Acme", zendesk_subdomain="acme"))
    session.add_all(
        [
            _correction("k-new", NOW - timedelta(minutes=45)),
            _correction("k-old", NOW - timedelta(days=3, hours=4, minutes=10)),
            _correction("k-mid", NOW - timedelta(hours=5, minutes=30)),
            _correction("k-done", NOW - timedelta(days=9), status=CorrectionStatus.EXECUTED),
        ]
    )
    session.commit()
    screen = approvals_screen(session, now=NOW)
    assert [row["idempotency_key"] for row in screen.queue] == ["k-old", "k-mid", "k-new"]  # executed: gone
    assert [row["waited"] for row in screen.queue] == [
        timedelta(days=3, hours=4, minutes=10),
        timedelta(hours=5, minutes=30),
        timedelta(minutes=45),
    ]
    assert screen.longest_wait == timedelta(days=3, hours=4, minutes=10)
    shown = [display_text(v, QUEUE_COLUMNS["waited"]) for v in screen.rows["waited"]]
    assert shown == ["3 d 4 h", "5 h 30 min", "45 min"]
    exported = csv_frame(screen.rows, QUEUE_COLUMNS)
    assert list(exported["Waiting for (seconds)"]) == [274_200, 19_800, 2_700]
    assert list(exported["Amount"]) == ["30.00", "30.00", "30.00"]  # EUR, the row's own currency
    assert list(exported["Company"]) == ["Acme"] * 3


def test_an_empty_queue(session: Session) -> None:
    screen = approvals_screen(session, now=NOW)
    assert screen.queue == [] and screen.longest_wait is None and screen.rows.empty
    assert screen.stripe_missing is None  # nothing to approve, nothing to say about Stripe


def test_the_queue_says_why_nothing_can_be_approved_without_a_stripe_key(
    session: Session, monkeypatch
) -> None:
    session.add(Account(id=1, company_name="Acme", zendesk_subdomain="acme"))
    session.add(_correction("k-wait", NOW - timedelta(hours=1)))
    session.commit()
    monkeypatch.setenv("STRIPE_API_KEY", "")
    reset_settings_cache()
    try:
        assert approvals_screen(session, now=NOW).stripe_missing == (
            "No Stripe API key is configured (STRIPE_API_KEY)."
        )
        monkeypatch.setenv("STRIPE_API_KEY", "sk_test_queue")
        reset_settings_cache()
        assert approvals_screen(session, now=NOW).stripe_missing is None
    finally:
        monkeypatch.undo()
        reset_settings_cache()


@pytest.fixture
def queued(session, engine, fake_stripe, stripe_gateway, make_user, monkeypatch):
    """Two 30.00 EUR refunds above a 10.00 USD threshold, waiting; the console's Stripe is the fake."""
    for name, value in {
        "STRIPE_API_KEY": TEST_KEY,
        "STRIPE_API_BASE": fake_stripe.url,
        "STRIPE_MAX_NETWORK_RETRIES": "0",
        "CORRECTION_APPROVAL_THRESHOLD_MINOR": "1000",
    }.items():
        monkeypatch.setenv(name, value)
    reset_settings_cache()
    business = seed_business(session, fake_stripe)
    manager = make_user("account_manager")
    waiting = [
        workflow.submit(
            engine,
            stripe_gateway,
            manager,
            form_for(stripe_gateway, "refund", business.charge["id"], business.account_id, amount="30"),
        )
        for _ in range(2)
    ]
    yield business, waiting
    monkeypatch.undo()
    reset_settings_cache()


def test_a_decision_approves_and_sends_or_rejects_and_sends_nothing(
    engine, fake_stripe, make_user, queued
) -> None:
    business, (first, second) = queued
    assert [c.status for c in (first, second)] == [CorrectionStatus.PENDING_APPROVAL] * 2
    approver = make_user("admin")

    rejected = decide(
        engine, approver, second.id, decision=Decision.REJECT, reason="No ticket", version=second.version
    )
    assert rejected.status == CorrectionStatus.REJECTED and rejected.decision_reason == "No ticket"
    assert posts(fake_stripe) == 0

    approved = decide(
        engine, approver, first.id, decision=Decision.APPROVE, reason="Ticket 4411", version=first.version
    )
    assert approved.status == CorrectionStatus.EXECUTED and approved.decided_by == approver.email
    assert len(refunds_of(fake_stripe, business.charge["id"])) == 1

    with pytest.raises(ConflictError):  # decided already: the version shown is gone
        decide(engine, approver, second.id, decision=Decision.APPROVE, reason="Oops", version=second.version)
    assert len(refunds_of(fake_stripe, business.charge["id"])) == 1


def _history_store(session: Session) -> dict[str, int]:
    """Five corrections over a week of March 2026; returns their ids by idempotency key."""
    session.add_all(
        [
            Account(id=1, company_name="Acme", zendesk_subdomain="acme"),
            Account(id=2, company_name="Globex", zendesk_subdomain="globex"),
        ]
    )
    day = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    facts = [
        # key, kind, status, account, amount, currency, in USD, requested (days after Mar 1), by
        ("k-refund", "refund", CorrectionStatus.EXECUTED, 1, 3000, "eur", 3240, 0, "am@example.com"),
        ("k-credit", "credit_note", CorrectionStatus.FAILED, 2, 12_000, "usd", 12_000, 4, "am@example.com"),
        ("k-discount", "apply_discount", CorrectionStatus.UNKNOWN, 1, None, None, None, 7, "am@example.com"),
        ("k-sending", "refund", CorrectionStatus.SENDING, 2, 500, "gbp", 630, 8, "Other@Example.com"),
        ("k-orphan", "refund", CorrectionStatus.REJECTED, None, 100, "usd", 100, 9, "am@example.com"),
    ]
    for key, kind, status, account, amount, currency, reporting, days, by in facts:
        session.add(
            BillingCorrection(
                kind=kind,
                status=status,
                account_id=account,
                amount=amount,
                currency=currency,
                amount_reporting=reporting,
                reason_category="billing_error" if kind == "refund" else "goodwill",
                reason_text="Charged twice",
                idempotency_key=key,
                requested_by=by.lower(),
                requested_at=day + timedelta(days=days),
                executed_at=day + timedelta(minutes=5) if status == CorrectionStatus.EXECUTED else None,
                attempts=1 if status != CorrectionStatus.REJECTED else 0,
                stripe_result_id="re_1" if status == CorrectionStatus.EXECUTED else None,
                error_message="Your card was declined." if status == CorrectionStatus.FAILED else None,
            )
        )
    session.commit()
    return {c.idempotency_key: c.id for c in session.exec(select(BillingCorrection))}


def test_history_newest_first_with_what_is_unsettled_and_what_may_be_retried(session: Session) -> None:
    ids = _history_store(session)
    screen = correction_history_screen(session, HistoryFilters(), reporting_currency="usd")

    order = ["k-orphan", "k-sending", "k-discount", "k-credit", "k-refund"]
    assert list(screen.rows["id"]) == [ids[key] for key in order]
    assert [row["id"] for row in screen.unsettled] == [ids["k-sending"], ids["k-discount"]]
    assert screen.failed == [ids["k-credit"]]

    columns = screen.columns
    assert [display_text(v, columns["kind"]) for v in screen.rows["kind"]] == [
        "Refund a payment",
        "Refund a payment",
        "Apply a discount",
        "Credit note on an invoice",
        "Refund a payment",
    ]
    assert [display_text(v, columns["status"]) for v in screen.rows["status"]] == [
        "Rejected",
        "Sending to Stripe",
        "Unknown: checking with Stripe",
        "Failed",
        "Executed",
    ]
    assert display_text(screen.rows["company"].iloc[0], columns["company"]) == "—"  # no account
    links = list(screen.rows["account_link"])
    assert pd.isna(links[0])  # no account, no link
    assert links[1:] == ["/account?id=2", "/account?id=1", "/account?id=2", "/account?id=1"]

    exported = csv_frame(screen.rows, columns)
    assert list(exported["Kind"]) == ["refund", "refund", "apply_discount", "credit_note", "refund"]
    assert list(exported["Amount"]) == ["1.00", "5.00", "", "120.00", "30.00"]  # each in its own currency
    assert list(exported["Currency"].fillna("")) == ["usd", "gbp", "", "usd", "eur"]
    assert list(exported["In reporting currency (USD)"]) == ["1.00", "6.30", "", "120.00", "32.40"]
    assert list(exported["Reason"]) == [
        "billing_error",
        "billing_error",
        "goodwill",
        "goodwill",
        "billing_error",
    ]
    assert exported["Executed (UTC)"].iloc[-1] == "2026-03-01T10:05:00Z"
    assert list(exported["Account"].fillna("")) == ["", *links[1:]]  # as on Installations: the link


def test_history_filters(session: Session) -> None:
    ids = _history_store(session)

    def keys(**given) -> list[int]:
        screen = correction_history_screen(session, HistoryFilters(**given), reporting_currency="usd")
        return list(screen.rows["id"])

    assert keys(statuses=(CorrectionStatus.FAILED,)) == [ids["k-credit"]]
    assert keys(kinds=("apply_discount", "credit_note")) == [ids["k-discount"], ids["k-credit"]]
    assert keys(account_id=2) == [ids["k-sending"], ids["k-credit"]]
    assert keys(requested_by=" OTHER@ ") == [ids["k-sending"]]
    # requested on Mar 5 up to and including Mar 8 (UTC days)
    assert keys(since=date(2026, 3, 5), until=date(2026, 3, 8)) == [ids["k-discount"], ids["k-credit"]]


def test_an_empty_history(session: Session) -> None:
    screen = correction_history_screen(session, HistoryFilters(), reporting_currency="usd")
    assert screen.rows.empty and screen.unsettled == [] and screen.failed == []
    assert csv_frame(screen.rows, screen.columns).empty


def test_history_says_why_nothing_can_be_sent_again_without_a_stripe_key(
    session: Session, monkeypatch
) -> None:
    _history_store(session)
    monkeypatch.setenv("STRIPE_API_KEY", "")
    reset_settings_cache()
    try:
        screen = correction_history_screen(session, HistoryFilters(), reporting_currency="usd")
        assert screen.failed and screen.stripe_missing == "No Stripe API key is configured (STRIPE_API_KEY)."
        nothing_failed = HistoryFilters(statuses=(CorrectionStatus.EXECUTED,))
        assert (
            correction_history_screen(session, nothing_failed, reporting_currency="usd").stripe_missing
            is None
        )
        monkeypatch.setenv("STRIPE_API_KEY", "sk_test_history")
        reset_settings_cache()
        assert (
            correction_history_screen(session, HistoryFilters(), reporting_currency="usd").stripe_missing
            is None
        )
    finally:
        monkeypatch.undo()
        reset_settings_cache()
