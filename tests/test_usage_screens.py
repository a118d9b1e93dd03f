"""The Usage screen without Streamlit: every figure the page shows, on invented usage worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest
from sqlmodel import Session

from dashboard.access.identity import SYSTEM
from dashboard.presentation.palette import MAX_SERIES, NEUTRAL, SERIES, series_colours, status_colour
from dashboard.usage import charts
from dashboard.usage.ingest import ingest_events
from dashboard.usage.screens import (
    OTHER,
    Measure,
    UsageInputs,
    cohort_rows,
    health_bands,
    partial_week,
    usage_range,
    usage_screen,
    weekly_events,
)
from models import StripeSubscription
from tests.usage_store import add_installations, event

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
INPUTS = UsageInputs(start=date(2026, 10, 1), end=date(2026, 12, 1))


def _at(day: str) -> str:
    return f"{day}T10:00:00+00:00"


@pytest.fixture
def store(session: Session, freeze) -> Session:
    """October: Acme 2 tagger events (agent a), Globex 4 (agent g). November: Acme 3 (a twice with
    apply_rule, b once with bulk_update), Globex 1 on the tagger (g) and 1 on the radar (r).
    Globex's tagger subscription is past due."""
    freeze(NOW)
    add_installations(session)
    records = [
        event("a1", _at("2026-10-05"), "agent-a", installation_id="1"),
        event("a2", _at("2026-10-20"), "agent-a", installation_id="1"),
        event("a3", _at("2026-11-03"), "agent-a", installation_id="1"),
        event("a4", _at("2026-11-05"), "agent-a", installation_id="1"),
        event("b1", _at("2026-11-03"), "agent-b", feature="bulk_update", installation_id="1"),
        *(event(f"g{d}", _at(f"2026-10-0{d}"), "agent-g", installation_id="2") for d in (6, 7, 8, 9)),
        event("g10", _at("2026-11-10"), "agent-g", installation_id="2"),
        event("r1", _at("2026-11-04"), "agent-r", feature="breach_alert", installation_id="3"),
    ]
    ingest_events(session, records, actor=SYSTEM, now=NOW)
    session.add(
        StripeSubscription(
            id="sub_g", customer_id="cus_g", account_id=2, app_id=1, status="past_due", currency="usd"
        )
    )
    session.commit()
    return session


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    return [tuple(row) for row in frame[columns].itertuples(index=False)]


def test_the_last_whole_month_is_compared_with_the_one_before(store: Session) -> None:
    screen = usage_screen(store, INPUTS, today=TODAY)

    assert screen.month == date(2026, 11, 1)
    assert screen.inputs == INPUTS


def test_latest_actives_per_app_on_the_latest_day_with_usage(store: Session) -> None:
    screen = usage_screen(store, INPUTS, today=TODAY)
    latest = screen.latest.set_index("app")

    # 10 Nov (g) is the last day with usage. Tagger: DAU g; WAU (4-10 Nov) a, g; MAU (12 Oct-10 Nov)
    # a, b, g. Radar: r in the week and month. All apps: a, g, r in the week, a, b, g, r in the month.
    assert screen.latest_day == date(2026, 11, 10)
    columns = ["dau", "wau", "mau", "active_accounts"]
    assert latest.loc["Ticket Tagger", columns].tolist() == [1, 2, 3, 2]
    assert latest.loc["SLA Radar", columns].tolist() == [0, 1, 1, 1]
    assert latest.loc["All apps", columns].tolist() == [1, 3, 4, 2]
    assert latest.loc["Ticket Tagger", "stickiness"] == pytest.approx(1 / 3)
    assert latest.loc["All apps", "stickiness"] == pytest.approx(1 / 4)
    # The tagger's rows run 5 Oct - 10 Nov (37 days); DAU/MAU is 1 (5 Oct), 1/2 (6-9 Oct and 20 Oct),
    # 2/3 (3 Nov), 1/3 (5 and 10 Nov), 0 on the other days.
    assert latest.loc["Ticket Tagger", "avg_stickiness"] == pytest.approx((1 + 5 / 2 + 2 / 3 + 2 / 3) / 37)


def test_events_by_feature_over_the_range(store: Session) -> None:
    by_feature = usage_screen(store, INPUTS, today=TODAY).by_feature

    assert sorted(_rows(by_feature, ["app", "feature", "events"])) == [
        ("SLA Radar", "breach_alert", 1),
        ("Ticket Tagger", "apply_rule", 9),  # Acme 2 + 2, Globex 4 + 1
        ("Ticket Tagger", "bulk_update", 1),
    ]


def test_feature_adoption_in_the_month(store: Session) -> None:
    adoption = usage_screen(store, INPUTS, today=TODAY).adoption

    assert sorted(
        _rows(adoption, ["app", "feature", "accounts", "active_accounts", "adoption", "events"])
    ) == [
        ("SLA Radar", "breach_alert", 1, 1, 1.0, 1),
        ("Ticket Tagger", "apply_rule", 2, 2, 1.0, 3),
        ("Ticket Tagger", "bulk_update", 1, 2, 0.5, 1),
    ]


def test_top_and_declining_accounts(store: Session) -> None:
    screen = usage_screen(store, INPUTS, today=TODAY)

    columns = ["company", "events", "events_previous", "active_agents"]
    assert _rows(screen.top, columns) == [("Acme Labs", 3, 2, 2), ("Globex Retail", 2, 4, 2)]
    assert screen.top["change"].tolist() == [0.5, -0.5]
    assert _rows(screen.declining, columns) == [("Globex Retail", 2, 4, 2)]


def test_health_bands_and_churn_risk(store: Session) -> None:
    screen = usage_screen(store, INPUTS, today=TODAY)

    # Acme: usage not down (60) + no subscription (25) = 85. Globex: half its October use (30) + past
    # due (10) = 40, under 50: at risk.
    assert sorted(_rows(screen.health_bands, ["band", "billing", "accounts"])) == [
        (40, "past_due", 1),
        (80, "no_subscription", 1),
    ]
    assert _rows(screen.at_risk, ["link", "company", "health", "billing"]) == [
        ("/account?id=2", "Globex Retail", 40, "past_due")
    ]


def test_retention_cohorts_as_rows(store: Session) -> None:
    cohorts = usage_screen(store, INPUTS, today=TODAY).cohorts

    # Both accounts first used an app in October and both came back in November.
    assert _rows(cohorts, ["cohort", "months_since", "accounts", "share"]) == [
        (date(2026, 10, 1), 0, 2, 1.0),
        (date(2026, 10, 1), 1, 2, 1.0),
    ]


def test_one_app_splits_events_by_feature(store: Session) -> None:
    screen = usage_screen(store, UsageInputs(INPUTS.start, INPUTS.end, app_id=1), today=TODAY)

    assert screen.events_series == "Feature"
    assert set(screen.weekly_events["series"]) == {"apply_rule", "bulk_update"}
    assert screen.latest["app"].tolist() == ["Ticket Tagger"]


def test_an_end_after_today_is_cut_to_today(store: Session) -> None:
    screen = usage_screen(store, UsageInputs(INPUTS.start, date(2027, 1, 31)), today=TODAY)

    assert screen.inputs.end == TODAY


def test_weekly_events_keep_the_busiest_series_and_group_the_rest() -> None:
    days = [date(2026, 11, 2), date(2026, 11, 4), date(2026, 11, 9)]  # Mon, Wed, next Mon
    features = pd.DataFrame(
        [{"day": days[0], "app": f"App {n}", "events": 100 - n} for n in range(8)]
        + [{"day": days[1], "app": "App 0", "events": 5}, {"day": days[2], "app": "App 7", "events": 50}]
    )

    weekly = weekly_events(features, series="app")

    # Eight apps: the five busiest over the range by name (App 7 with 93 + 50), App 4, 5 and 6 as Other.
    first = weekly[weekly["week"] == date(2026, 11, 2)].set_index("series")["events"].to_dict()
    assert first == {"App 0": 105, "App 7": 93, "App 1": 99, "App 2": 98, "App 3": 97, OTHER: 96 + 95 + 94}
    second = weekly[weekly["week"] == date(2026, 11, 9)]
    assert _rows(second, ["series", "events"]) == [("App 7", 50)]
    assert weekly["series"].nunique() <= MAX_SERIES


def test_partial_week_is_the_week_the_range_ends_in_unless_it_ends_on_sunday() -> None:
    assert partial_week(date(2026, 12, 2)) == (date(2026, 11, 30), date(2026, 12, 7))
    assert partial_week(date(2026, 11, 29)) is None  # a Sunday: the last week is whole


def test_cohort_rows_and_health_bands_of_nothing_are_empty() -> None:
    assert cohort_rows(pd.DataFrame()).empty
    assert health_bands(pd.DataFrame(columns=["health", "billing"])).empty


def test_health_of_100_falls_in_the_top_band() -> None:
    health = pd.DataFrame({"health": [100, 95, 9], "billing": ["active", "active", "unpaid"]})

    assert _rows(health_bands(health), ["band", "billing", "accounts"]) == [
        (0, "unpaid", 1),
        (90, "active", 2),
    ]


def test_charts_are_titled_with_at_most_six_series_and_meaningful_colours(store: Session) -> None:
    screen = usage_screen(store, INPUTS, today=TODAY)

    users = charts.active_users(screen, Measure.MAU)
    assert users.layout.yaxis.title.text == "Active users" and users.layout.xaxis.title.text == "Day (UTC)"
    assert [trace.name for trace in users.data] == ["All apps", "Ticket Tagger", "SLA Radar"]
    assert users.data[0].line.color == NEUTRAL
    heatmap = charts.cohort_heatmap(screen)
    assert list(heatmap.data[0].x) == ["First month", "+1"] and list(heatmap.data[0].y) == ["Oct 2026"]
    health = charts.health_distribution(screen)
    assert {trace.name: trace.marker.color for trace in health.data} == {
        "Past due": status_colour("past_due"),
        "No subscription": status_colour("no_subscription"),
    }
    assert status_colour("active") not in {"#c62828"}  # active is never drawn red
    events = charts.events_per_week(screen)
    assert len(events.data) <= MAX_SERIES and events.layout.shapes  # the running week is shaded


def test_series_colours_are_distinct_and_totals_neutral() -> None:
    colours = series_colours(["All apps", "A", "B", OTHER])

    assert colours == {"All apps": NEUTRAL, "A": SERIES[0], "B": SERIES[1], OTHER: NEUTRAL}


def test_an_empty_store_gives_an_empty_screen(session: Session, freeze) -> None:
    freeze(NOW)

    screen = usage_screen(session, INPUTS, today=TODAY)

    assert not screen.has_usage and screen.latest_day is None
    assert screen.top.empty and screen.declining.empty and screen.at_risk.empty and screen.cohorts.empty


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (None, None, (date(2026, 12, 2), date(2027, 3, 2))),  # the last 90 days
        (date(2027, 2, 1), None, (date(2027, 2, 1), date(2027, 3, 2))),
        (date(2027, 2, 1), date(2027, 5, 1), (date(2027, 2, 1), date(2027, 3, 2))),  # never past today
        (date(2027, 2, 20), date(2027, 2, 10), (date(2026, 12, 2), date(2027, 3, 2))),  # reversed
        (date(2027, 3, 2), date(2027, 3, 2), (date(2027, 3, 2), date(2027, 3, 2))),  # one day
    ],
)
def test_the_usage_range_a_link_asks_for(start, end, expected) -> None:
    assert usage_range(start, end, today=date(2027, 3, 2)) == expected
