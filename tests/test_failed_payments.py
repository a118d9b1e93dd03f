"""Failed payments: who is behind, amounts at risk by age, recovered this month, cards expiring before
renewal, and subscriptions not left past due. Invented facts; answers worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from dashboard.billing.revenue.failed_payments import (
    BEHIND_COLUMNS,
    OPEN_INVOICE_COLUMNS,
    FlagReason,
    behind_rows,
    failed_payments_screen,
    open_invoice_rows,
)
from dashboard.presentation.columns import csv_frame
from models import Account, FxRate, StripeCustomer, StripeInvoice, StripePayment, StripeSubscription

TODAY = date(2025, 3, 20)


def _at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 12, tzinfo=UTC)


def _store(session: Session) -> None:
    session.add_all(
        [
            Account(id=1, company_name="Acme", zendesk_subdomain="acme"),
            Account(id=2, company_name="Globex", zendesk_subdomain="globex"),
            FxRate(currency="eur", day=date(2025, 3, 1), rate=Decimal("1.10")),
        ]
    )
    session.flush()
    session.add_all(
        [
            StripeCustomer(id="cus_1", account_id=1),
            StripeCustomer(id="cus_2", account_id=2),
            StripeCustomer(id="cus_3", name="Solo Ltd"),
        ]
    )
    for sid, cus, status, currency, mrr, period_end, reason in (
        ("s1", "cus_1", "past_due", "usd", 4000, _at(2025, 4, 1), None),
        ("s2", "cus_2", "unpaid", "eur", 0, _at(2025, 4, 2), None),
        ("s3", "cus_3", "canceled", "usd", 0, None, "payment_failed"),
        ("s4", "cus_2", "canceled", "usd", 0, None, "cancellation_requested"),
        ("s5", "cus_1", "active", "usd", 2000, _at(2025, 6, 15), None),
        ("s6", "cus_2", "active", "usd", 2000, _at(2025, 4, 10), None),
    ):
        session.add(
            StripeSubscription(
                id=sid,
                customer_id=cus,
                status=status,
                currency=currency,
                mrr=mrr,
                current_period_end=period_end,
                cancellation_reason=reason,
            )
        )
    for pid, cus, created, month, year in (
        ("ch_1", "cus_1", _at(2025, 2, 15), 5, 2025),  # expires May 31 < renewal Jun 15
        ("ch_2old", "cus_2", _at(2024, 1, 3), 1, 2024),  # an old card, replaced since
        ("ch_2", "cus_2", _at(2025, 3, 10), 4, 2025),  # Apr 30 >= renewal Apr 10
    ):
        session.add(
            StripePayment(
                id=pid,
                customer_id=cus,
                currency="usd",
                status="succeeded",
                paid=True,
                card_brand="visa",
                card_last4="4242",
                card_exp_month=month,
                card_exp_year=year,
                created=created,
            )
        )
    for iid, cus, status, currency, remaining, paid, attempts, created, due, paid_at, retry in (
        (
            "in1",
            "cus_1",
            "open",
            "usd",
            4000,
            0,
            2,
            _at(2025, 3, 1),
            _at(2025, 3, 15),
            None,
            _at(2025, 3, 22),
        ),
        ("in2", "cus_2", "open", "eur", 10000, 0, 4, _at(2025, 2, 10), None, None, None),
        ("in3", "cus_3", "open", "usd", 2500, 0, 4, _at(2024, 12, 1), None, None, None),
        (
            "in4",
            "cus_1",
            "open",
            "usd",
            3000,
            0,
            1,
            _at(2025, 2, 20),
            _at(2025, 3, 1),
            None,
            _at(2025, 3, 21),
        ),
        ("in5", "cus_1", "open", "usd", 0, 0, 1, _at(2025, 3, 2), None, None, None),
        ("in6", "cus_1", "paid", "usd", 0, 4000, 3, _at(2025, 2, 25), None, _at(2025, 3, 5), None),
        ("in7", "cus_2", "paid", "usd", 0, 2000, 1, _at(2025, 3, 1), None, _at(2025, 3, 6), None),
        ("in8", "cus_2", "paid", "usd", 0, 2000, 2, _at(2025, 2, 1), None, _at(2025, 2, 27), None),
        ("in9", "cus_2", "paid", "eur", 0, 2000, 2, _at(2025, 3, 1), None, _at(2025, 3, 10), None),
    ):
        session.add(
            StripeInvoice(
                id=iid,
                customer_id=cus,
                status=status,
                currency=currency,
                amount_remaining=remaining,
                amount_paid=paid,
                attempt_count=attempts,
                created=created,
                due_date=due,
                paid_at=paid_at,
                next_payment_attempt=retry,
            )
        )
    session.commit()


def test_failed_payment_figures_by_hand(session: Session) -> None:
    _store(session)
    screen = failed_payments_screen(session, today=TODAY)
    assert [(b.subscription_id, b.status, b.link.company) for b in screen.behind] == [
        ("s1", "past_due", "Acme"),
        ("s2", "unpaid", "Globex"),
    ]
    # in1 due Mar 15: 5 days; in4 due Mar 1: 19; in2 created Feb 10: 38 (EUR 100.00 = 110.00); in3: 109
    assert [(r.invoice_id, r.age_days, r.age_bucket, r.amount_reporting) for r in screen.open_invoices] == [
        ("in3", 109, "over 60 days", 2500),
        ("in2", 38, "31-60 days", 11000),
        ("in4", 19, "8-30 days", 3000),
        ("in1", 5, "0-7 days", 4000),
    ]
    assert screen.at_risk == {"0-7 days": 4000, "8-30 days": 3000, "31-60 days": 11000, "over 60 days": 2500}
    assert screen.at_risk_total == 20500
    first = screen.open_invoices[-1]
    assert (first.attempt_count, first.next_payment_attempt) == (2, _at(2025, 3, 22))
    assert (first.link.account_url, first.link.corrections_url) == ("/account?id=1", "/corrections?account=1")
    # in6 (3 attempts, 40.00) and in9 (2 attempts, EUR 20.00 = 22.00); in7 paid first time, in8 in February
    assert (screen.recovered_count, screen.recovered_amount) == (2, 6200)
    assert [(c.subscription_id, c.expires_on, c.renews_on) for c in screen.expiring_cards] == [
        ("s5", date(2025, 5, 31), date(2025, 6, 15))
    ]
    assert [(f.subscription_id, f.reason) for f in screen.flagged] == [
        ("s2", FlagReason.UNPAID),
        ("s3", FlagReason.CANCELED),
    ]
    assert screen.flagged[1].link.account_url is None and screen.flagged[1].link.company == "Solo Ltd"


def test_failed_payment_tables_keep_minor_units_and_export_major_units(session: Session) -> None:
    _store(session)
    screen = failed_payments_screen(session, today=TODAY)
    invoices = open_invoice_rows(screen)
    assert list(invoices["age"]) == ["over 60 days", "31-60 days", "8-30 days", "0-7 days"]  # oldest first
    assert list(invoices["amount_remaining"]) == [2500, 10000, 3000, 4000]  # each in its own currency
    assert list(invoices["currency"]) == ["USD", "EUR", "USD", "USD"]
    assert invoices["account_url"].iloc[-1] == "/account?id=1"
    exported = csv_frame(invoices, OPEN_INVOICE_COLUMNS)
    assert list(exported["Amount remaining"]) == ["25.00", "100.00", "30.00", "40.00"]
    assert list(exported["Days open"]) == [109, 38, 19, 5]
    behind = csv_frame(behind_rows(screen), BEHIND_COLUMNS)
    assert list(behind["Status"]) == ["past_due", "unpaid"]  # CSVs keep the stored values


@pytest.mark.parametrize("role", ["account_manager", "admin"])
def test_failed_payments_page(run_page, make_user, engine: Engine, freeze, role: str) -> None:
    freeze(datetime(2025, 3, 20, 15, tzinfo=UTC))
    with Session(engine) as session:
        _store(session)
    at = run_page("app_pages/failed_payments.py", make_user(role))
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["At risk"] == "$205.00" and metrics["Recovered this month"] == "$62.00"
    texts = " ".join(str(e.value) for e in at.warning)
    assert "2 subscriptions were not left past due" in texts


def test_failed_payments_refused_for_executive(run_page, make_user, engine: Engine) -> None:
    at = run_page("app_pages/failed_payments.py", make_user("executive"))
    assert "cannot open" in " ".join(
        str(e.value) for e in at.get("alert") + list(at.error) + list(at.markdown)
    )
