"""Usage: active users, stickiness, features, accounts, cohorts and churn risk (rollups only)."""

from datetime import date

import streamlit as st

from dashboard.core import clock
from dashboard.core.ids import parse_id
from dashboard.presentation.text import day
from dashboard.ui.access import require_page
from dashboard.ui.page_data import usage_apps, usage_data, usage_figures
from dashboard.ui.tables import show_table
from dashboard.usage.metrics import AT_RISK_BELOW
from dashboard.usage.screens import (
    ADOPTION_COLUMNS,
    COHORT_COLUMNS,
    FEATURE_COLUMNS,
    LATEST_COLUMNS,
    MEASURE_LABELS,
    Measure,
    UsageInputs,
    account_columns,
    risk_columns,
    usage_range,
)


def _param_date(name: str) -> date | None:
    try:
        return date.fromisoformat(st.query_params.get(name, ""))
    except ValueError:
        return None


def date_range(today: date) -> tuple[date, date]:
    """Start and end kept in the URL (`start`, `end`); a bad or reversed range falls back to the default."""
    start, end = usage_range(_param_date("start"), _param_date("end"), today=today)
    picked = st.date_input("Dates (UTC)", value=(start, end), max_value=today, key="usage_dates")
    if isinstance(picked, tuple) and len(picked) == 2:
        start, end = picked
    else:
        st.caption("Pick an end date too.")
    st.query_params["start"], st.query_params["end"] = start.isoformat(), end.isoformat()
    return start, end


def app_filter(names: dict[int, str]) -> int | None:
    """An app kept in the URL (`app`); None means all apps."""
    options: list[int | None] = [None, *names]
    current = parse_id(st.query_params.get("app"))
    app_id = st.selectbox(
        "App",
        options,
        index=options.index(current) if current in names else 0,
        format_func=lambda value: "All apps" if value is None else names[value],
    )
    if app_id is None:
        st.query_params.pop("app", None)
    else:
        st.query_params["app"] = str(app_id)
    return app_id


actor = require_page("usage")
st.title("Usage")
today = clock.today()

left, right = st.columns([2, 1])
with left:
    start, end = date_range(today)
with right:
    app_id = app_filter(usage_apps())
inputs = UsageInputs(start, end, app_id)
screen = usage_data(inputs, today=today)
month = screen.month

st.subheader("Active users")
if not screen.has_usage:
    st.info("No usage in this date range.")
    st.stop()
st.caption(f"On {day(screen.latest_day)}, the latest day with usage in the range (UTC).")
show_table(screen.latest, LATEST_COLUMNS, key="active_users", file_name="active-users.csv")
measure = (
    st.segmented_control(
        "Measure",
        list(Measure),
        default=Measure.DAU,
        format_func=lambda value: MEASURE_LABELS[value],
        key="usage_measure",
    )
    or Measure.DAU
)
drawn = usage_figures(inputs, today, measure)
st.plotly_chart(drawn["users"], width="stretch")
st.plotly_chart(drawn["stickiness"], width="stretch")

st.subheader("Events by app and feature")
st.plotly_chart(drawn["events"], width="stretch")
show_table(screen.by_feature, FEATURE_COLUMNS, key="events_by_feature", file_name="events-by-feature.csv")

st.subheader(f"Feature adoption, {month:%B %Y}")
if screen.adoption.empty:
    st.info(f"No feature was used in {month:%B %Y}.")
else:
    st.plotly_chart(drawn["adoption"], width="stretch")
    show_table(screen.adoption, ADOPTION_COLUMNS, key="feature_adoption", file_name="feature-adoption.csv")

accounts = account_columns(month)
top, declining = st.columns(2)
with top:
    st.subheader("Top accounts")
    show_table(screen.top, accounts, key="top_accounts", file_name="top-accounts.csv")
with declining:
    st.subheader("Declining accounts")
    show_table(
        screen.declining,
        accounts,
        key="declining_accounts",
        file_name="declining-accounts.csv",
        empty="No account used less than the month before.",
    )

st.subheader("Monthly account retention")
if screen.cohorts.empty:
    st.info("No account cohorts start in this date range.")
else:
    st.plotly_chart(drawn["cohorts"], width="stretch")
    show_table(screen.cohorts, COHORT_COLUMNS, key="retention_cohorts", file_name="retention-cohorts.csv")

st.subheader("Account health and churn risk")
st.caption(
    f"Health = usage trend ({month:%B} against the month before, up to 60) + billing state from "
    f"Stripe (up to 40). Below {AT_RISK_BELOW} is at risk."
)
st.plotly_chart(drawn["health"], width="stretch")
show_table(
    screen.at_risk,
    risk_columns(month),
    key="churn_risk",
    file_name="churn-risk.csv",
    empty="No account is at risk.",
)
