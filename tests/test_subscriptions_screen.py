"""The Subscriptions screen without AppTest: who pays (active or past due), the filtered MRR, past due."""

from __future__ import annotations

from datetime import UTC, datetime

from dashboard.billing.subscriptions import SubscriptionFilters, subscription_columns, subscriptions_screen
from dashboard.presentation.columns import csv_frame

NOW = datetime(2026, 3, 10, tzinfo=UTC)


def _row(sub_id: str, status: str, mrr: int, currency: str, reporting: int, account_id: int | None) -> dict:
    return {
        "id": sub_id,
        "account_id": account_id,
        "customer_id": f"cus_{sub_id}",
        "app_id": 1,
        "status": status,
        "currency": currency,
        "mrr": mrr,
        "created": NOW,
        "trial_end": None,
        "current_period_end": NOW,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "email": "billing@acme.example",
        "company": "Acme",
        "subdomain": "acme",
        "app": "Tagger",
        "plan": "Team",
        "seats": 5,
        "mrr_reporting": reporting,
    }


ROWS = [
    _row("s1", "active", 4000, "usd", 4000, 1),
    _row("s2", "past_due", 10000, "eur", 11000, 1),  # EUR 100.00 = USD 110.00
    _row("s3", "trialing", 0, "usd", 0, None),
    _row("s4", "canceled", 0, "usd", 0, 2),
]


def test_figures_by_hand() -> None:
    screen = subscriptions_screen(ROWS, SubscriptionFilters(), now=NOW)
    assert (screen.total, screen.paying, screen.past_due) == (4, 2, 1)
    assert screen.mrr_reporting == 15000  # 40.00 + 110.00: active and past due only
    assert list(screen.rows["account_link"].fillna("")) == [
        "/account?id=1",
        "/account?id=1",
        "",
        "/account?id=2",
    ]
    exported = csv_frame(screen.rows, subscription_columns("usd"))
    assert list(exported["MRR"]) == ["40.00", "100.00", "0.00", "0.00"]  # each in its own currency
    assert list(exported["MRR (reporting) (USD)"]) == ["40.00", "110.00", "0.00", "0.00"]


def test_a_status_filter() -> None:
    screen = subscriptions_screen(ROWS, SubscriptionFilters(statuses=("past_due",)), now=NOW)
    assert (screen.total, screen.paying, screen.mrr_reporting) == (1, 1, 11000)
