"""The Overview screen and its charts without AppTest: a small store whose figures are worked out by hand.

Today is Sunday 2026-11-22 (`tests.usage_store.NOW`). The store:
- installations: Acme's tagger (since Jan 2025), Globex's tagger (since Mar 2025), Globex's radar
  installed 2026-10-01 and uninstalled 2026-11-20;
- all-apps usage rollups on 2026-10-20 (MAU 7), 2026-10-23 (MAU 6) and today (DAU 3, WAU 5, MAU 8,
  40 events), and an app's own row today (MAU 100) that the all-apps figures must ignore;
- MRR: Acme $100.00 a month from 2026-08-14, Globex $50.00 a month from 2026-11-12 (USD, the reporting
  currency);
- privacy requests: new (due two days ago: overdue), in progress (due in 9 days), completed and
  withdrawn (both past due, but closed).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from sqlmodel import Session

from dashboard.business import charts
from dashboard.business.overview import (
    INSTALL_COLUMNS,
    Kpi,
    KpiKind,
    OverviewInputs,
    overview_screen,
)
from dashboard.presentation import palette
from dashboard.presentation.columns import csv_frame
from dashboard.usage.rollup import ALL_APPS
from models import AppDailyActives, MrrChange, PrivacyRequest
from tests.usage_store import NOW, add_installations

TODAY = NOW.date()


@pytest.fixture
def store(session: Session, freeze) -> Session:
    freeze(NOW)
    add_installations(session)
    session.add_all(
        [
            AppDailyActives(day=date(2026, 10, 20), app_id=ALL_APPS, dau=2, wau=4, mau=7, events=10),
            AppDailyActives(day=date(2026, 10, 23), app_id=ALL_APPS, dau=1, wau=3, mau=6, events=5),
            AppDailyActives(day=TODAY, app_id=ALL_APPS, dau=3, wau=5, mau=8, events=40),
            AppDailyActives(day=TODAY, app_id=1, dau=50, wau=80, mau=100, events=900),
        ]
    )
    for subscription, account, mrr, since in (
        ("sub_a", 1, 10_000, date(2026, 8, 14)),
        ("sub_g", 2, 5_000, date(2026, 11, 12)),
    ):
        session.add(
            MrrChange(
                subscription_id=subscription,
                account_id=account,
                customer_id=f"cus_{account}",
                mrr=mrr,
                currency="usd",
                effective_on=since,
                status="active",
            )
        )
    for number, (status, due) in enumerate(
        [("new", -2), ("in_progress", 9), ("completed", -30), ("withdrawn", -5)]
    ):
        session.add(
            PrivacyRequest(
                type="access",
                status=status,
                subject_name=f"Person {number}",
                subject_email=f"person{number}@example.com",
                jurisdiction="eu_gdpr",
                received_on=TODAY - timedelta(days=20),
                due_on=TODAY + timedelta(days=due),
            )
        )
    session.commit()
    return session


def _tiles(screen) -> dict[str, tuple[str, str | None]]:
    return {kpi.label: (kpi.value_text, kpi.change_text) for kpi in screen.tiles}


def test_tiles_against_thirty_days_earlier(store: Session) -> None:
    screen = overview_screen(store, OverviewInputs(30), today=TODAY)

    # 30 days earlier is 2026-10-23: MRR then was Acme's $100.00; the radar was still installed; MAU 6.
    # NRR: October (the last full month) kept September's $100.00 → 100%; September kept August's → 100%.
    assert _tiles(screen) == {
        "MRR": ("$150.00", "+$50.00"),
        "ARR": ("$1,800.00", "+$600.00"),
        "Paying accounts": ("2", "+1"),
        "NRR (last full month)": ("100.0%", "+0.0 pp"),
        "Active installations": ("2", "-1"),
        "MAU": ("8", "+2"),
        "Open privacy requests": ("2", None),
        "Overdue privacy requests": ("1", None),
    }
    assert [kpi.lower_is_better for kpi in screen.tiles] == [False] * 6 + [True, True]
    assert screen.comparison == "Compared with 30 days earlier"
    assert screen.missing_rates == []


def test_a_longer_period_compares_further_back(store: Session) -> None:
    screen = overview_screen(store, OverviewInputs(90), today=TODAY)

    # 90 days earlier is 2026-08-24: Acme paid $100.00 already; the radar was not installed yet; no
    # usage rolled up by then (MAU 0). NRR: August had no MRR at its start, so no rate to compare.
    tiles = _tiles(screen)
    assert tiles["MRR"] == ("$150.00", "+$50.00")
    assert tiles["Paying accounts"] == ("2", "+1")
    assert tiles["Active installations"] == ("2", "+0")
    assert tiles["MAU"] == ("8", "+8")
    assert tiles["NRR (last full month)"] == ("100.0%", None)


def test_trends_cover_a_year_of_months_and_days(store: Session) -> None:
    screen = overview_screen(store, OverviewInputs(30), today=TODAY)

    assert screen.trend_start == date(2025, 11, 22)
    mrr = screen.mrr_rows
    assert list(mrr["month"]) == [date(2025, 12, 1)] + [date(2026, month, 1) for month in range(1, 12)]
    by_month = mrr.set_index(mrr["month"].map(lambda m: m.strftime("%Y-%m")))
    assert by_month.loc["2026-08", ["new", "mrr", "paying_accounts"]].tolist() == [10_000, 10_000, 1]
    assert by_month.loc["2026-11", ["new", "mrr", "paying_accounts"]].tolist() == [5_000, 15_000, 2]
    assert by_month.loc["2026-10", "net_revenue_retention"] == 1.0
    assert int(mrr["churn"].fillna(0).sum()) == 0

    installs = screen.installs  # Nov 2025 … Nov 2026: the radar in October, gone in November
    assert len(installs) == 13
    assert installs["installs"].sum() == 1 and installs["uninstalls"].sum() == 1
    assert installs.iloc[-2][["installs", "uninstalls", "net"]].tolist() == [1, 0, 1]
    assert installs.iloc[-1][["installs", "uninstalls", "net"]].tolist() == [0, 1, -1]
    exported = csv_frame(installs, INSTALL_COLUMNS)
    assert list(exported.columns) == ["Month", "Installs", "Uninstalls", "Net installs"]

    usage = screen.usage  # all apps only: the app's own MAU 100 is not here
    assert list(usage.columns) == ["day", "dau", "wau", "mau", "stickiness", "events"]
    assert usage["mau"].tolist() == [7, 6, 8]
    assert usage.iloc[-1]["stickiness"] == pytest.approx(3 / 8)


def test_an_empty_store_shows_dashes_not_errors(session: Session, freeze) -> None:
    freeze(NOW)
    screen = overview_screen(session, OverviewInputs(), today=TODAY)

    tiles = _tiles(screen)
    assert tiles["MRR"] == ("$0.00", "$0.00")
    assert tiles["NRR (last full month)"] == ("—", None)
    assert tiles["Active installations"] == ("0", "+0")
    assert screen.usage.empty and screen.installs["installs"].sum() == 0
    for figure in (charts.mrr_trend(screen), charts.net_installs(screen), charts.usage_trend(screen)):
        assert figure.layout.xaxis.title.text and figure.layout.yaxis.title.text


@pytest.mark.parametrize(
    ("kpi", "value", "change"),
    [
        (Kpi("NRR", Decimal("0.95"), Decimal("0.9125"), KpiKind.RATIO), "95.0%", "+3.8 pp"),
        (Kpi("MRR", 123_456_78, 123_500_00, KpiKind.MONEY, "usd"), "$123,456.78", "-$43.22"),
        (Kpi("MRR", 5_000, 5_000, KpiKind.MONEY, "jpy"), "¥5,000", "¥0"),
        (Kpi("Seats", 12_345, 12_000), "12,345", "+345"),
        (Kpi("Seats", None, 3), "—", None),
        (Kpi("Open", 4, None), "4", None),
    ],
)
def test_tile_texts(kpi: Kpi, value: str, change: str | None) -> None:
    assert (kpi.value_text, kpi.change_text) == (value, change)


@pytest.mark.parametrize(("param", "days"), [("90", 90), ("365", 365), ("7", 30), ("ninety", 30), (None, 30)])
def test_the_period_from_the_url(param: str | None, days: int) -> None:
    assert OverviewInputs.from_param(param).period_days == days


def test_charts_colour_by_meaning_with_words_and_units(store: Session) -> None:
    screen = overview_screen(store, OverviewInputs(30), today=TODAY)

    mrr = charts.mrr_trend(screen)
    colours = {
        trace.name: trace.marker.color if trace.type == "bar" else trace.line.color for trace in mrr.data
    }
    assert colours == {
        "New": palette.GROWTH,
        "Expansion": palette.EXPANSION,
        "Reactivation": palette.REACTIVATION,
        "Contraction": palette.CONTRACTION,
        "Churn": palette.CHURN,
        "MRR": palette.NEUTRAL,
    }
    assert len(mrr.data) <= palette.MAX_SERIES
    assert mrr.layout.yaxis.title.text == "MRR and its change (USD)"
    line = next(trace for trace in mrr.data if trace.name == "MRR")
    assert line.y[-1] == 150.0 and line.y[-4] == 100.0  # major units: Nov and Aug 2026
    [shade] = mrr.layout.shapes  # November 2026, still running
    assert pd.Timestamp(shade.x0) < pd.Timestamp(2026, 11, 1) < pd.Timestamp(shade.x1)

    installs = charts.net_installs(screen)
    assert [(t.name, t.y[-1]) for t in installs.data] == [("Installs", 0), ("Uninstalls", -1), ("Net", -1)]
    assert [t.marker.color for t in installs.data[:2]] == [palette.GROWTH, palette.CHURN]
    assert installs.layout.yaxis.title.text == "Installations" and len(installs.layout.shapes) == 1

    usage = charts.usage_trend(screen)
    assert [t.name for t in usage.data] == ["DAU", "MAU"]
    assert usage.layout.xaxis.title.text == "Day (UTC)"
    assert [a.text for a in usage.layout.annotations] == ["Today so far"]
