"""The Subscriptions screen without AppTest: who pays (active or past due), the filtered MRR, past due."""

from __future__ import annotations

from datetime import UTC, datetime

from dashboard.billing.subscriptions import (
    FilterOptions,
    SubscriptionFilters,
    subscription_columns,
    subscriptions_screen,
)
from dashboard.presentation.columns import csv_frame

NOW = datetime(2026, 3, 10, tzinfo=UTC)
OPTIONS = FilterOptions(apps={1: "Tagger"}, plans=["Team"], currencies=["eur", "usd"])


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
    screen = subscriptions_screen(ROWS, SubscriptionFilters(), options=OPTIONS, reporting="usd", now=NOW)
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
    screen = subscriptions_screen(
        ROWS, SubscriptionFilters(statuses=("past_due",)), options=OPTIONS, reporting="usd", now=NOW
    )
    assert (screen.total, screen.paying, screen.mrr_reporting) == (1, 1, 11000)


def test_the_screen_carries_the_choices_and_reporting_currency() -> None:
    screen = subscriptions_screen(ROWS, SubscriptionFilters(), options=OPTIONS, reporting="eur", now=NOW)
    assert screen.options == OPTIONS and screen.reporting == "eur"
    assert screen.columns == subscription_columns("eur")


def test_choices_not_among_the_options_are_ignored() -> None:
    """A hand-edited address (?plan=Nope&app=9) filters nothing, as the widgets show nothing chosen."""
    odd = SubscriptionFilters(plans=("Nope",), app_ids=(9,), currencies=("gbp",))
    screen = subscriptions_screen(ROWS, odd, options=OPTIONS, reporting="usd", now=NOW)
    assert screen.total == 4
    kept = SubscriptionFilters(plans=("Team", "Nope"), currencies=("eur",))
    assert subscriptions_screen(ROWS, kept, options=OPTIONS, reporting="usd", now=NOW).total == 1
