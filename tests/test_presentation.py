"""The one presentation layer: every value written the same way, tables exported with units."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from dashboard.presentation import text
from dashboard.presentation.columns import Column, Kind, csv_frame


@pytest.mark.parametrize(
    ("machine", "shown"),
    [
        ("past_due", "Past due"),
        ("uk_gdpr", "UK GDPR"),
        ("card_last4", "Card last 4"),
        ("customer_churn_rate", "Customer churn rate"),
        ("job_title", "Job title"),
        ("mrr", "MRR"),
        ("trialing", "Trialing"),
        ("", "—"),
        (None, "—"),
    ],
)
def test_machine_names_read_as_words(machine: str | None, shown: str) -> None:
    assert text.words(machine) == shown


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (323690, "usd", "$3,236.90"),
        (22500, "usd", "$225.00"),
        (-7344, "usd", "-$73.44"),
        (248846, "chf", "2,488.46 CHF"),
        (1170024, "eur", "€11,700.24"),
        (1250, "jpy", "¥1,250"),
        (123456, "kwd", "123.456 KWD"),
        (None, "usd", "—"),
    ],
)
def test_money_has_one_format(amount: int | None, currency: str, shown: str) -> None:
    assert text.money(amount, currency) == shown


def test_changes_carry_their_sign() -> None:
    assert text.signed_money(5000, "usd") == "+$50.00"
    assert text.signed_money(-1200, "usd") == "-$12.00"
    assert text.signed_money(0, "usd") == "$0.00"
    assert text.signed_percent(0.125) == "+12.5%"
    assert text.signed_percent(-0.5) == "-50.0%"


def test_counts_percentages_and_durations() -> None:
    assert text.count(1234567) == "1,234,567"
    assert text.count(float("nan")) == "—"
    assert text.percent(0.0333) == "3.3%"
    assert text.ratio(2.5) == "2.50"
    assert text.duration(timedelta(days=3, hours=4, minutes=5)) == "3 d 4 h"
    assert text.duration(timedelta(hours=2, minutes=5, seconds=9)) == "2 h 5 min"
    assert text.duration(250) == "4 min 10 s"
    assert text.duration(45) == "45 s"
    assert text.duration(0) == "0 s"
    assert text.duration(timedelta(minutes=45)) == "45 min"  # no "0 s" after a round figure
    assert text.duration(timedelta(days=2)) == "2 d"


def test_times_are_shown_in_the_viewers_zone() -> None:
    instant = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    assert text.moment(instant, "Asia/Tokyo") == "2026-12-02 08:30"
    assert text.moment(instant, "Pacific/Honolulu") == "2026-12-01 13:30"
    assert text.day(date(2027, 1, 31)) == "2027-01-31"
    assert text.month(date(2026, 11, 1)) == "Nov 2026"


def test_csv_says_which_currency_unit_it_uses() -> None:
    rows = pd.DataFrame(
        {
            "amount": [248846, -7344],
            "currency": ["usd", "jpy"],
            "mrr": [1000, 250],
            "status": ["past_due", "active"],
            "at": [datetime(2026, 12, 1, 23, 30, tzinfo=UTC)] * 2,
        }
    )
    columns = {
        "amount": Column("Amount", Kind.MONEY, currency_column="currency"),
        "currency": Column("Currency"),
        "mrr": Column("MRR", Kind.MONEY, currency="usd"),
        "status": Column("Status", Kind.ENUM),
        "at": Column("Paid at", Kind.DATETIME),
    }
    exported = csv_frame(rows, columns)
    assert list(exported.columns) == ["Amount", "Currency", "MRR (USD)", "Status", "Paid at (UTC)"]
    assert exported["Amount"].tolist() == ["2488.46", "-7344"]
    assert exported["MRR (USD)"].tolist() == ["10.00", "2.50"]
    assert exported["Status"].tolist() == ["past_due", "active"]
    assert exported["Paid at (UTC)"].tolist() == ["2026-12-01T23:30:00Z"] * 2
