"""Usage: active users, stickiness, features, accounts, cohorts and churn risk (rollups only)."""

import streamlit as st

from dashboard.ui import usage_charts as charts
from dashboard.ui import usage_data as data
from dashboard.ui.access import require_page
from dashboard.usage.metrics import (
    churn_risk,
    declining_accounts,
    last_complete_month,
    latest_actives,
    top_accounts,
)

actor = require_page("usage")
st.title("Usage")

left, right = st.columns([2, 1])
with left:
    start, end = data.date_range_filter(default_days=90)
with right:
    app_id = data.app_filter()

month = last_complete_month(end)
percent = st.column_config.NumberColumn(format="percent")
count = st.column_config.NumberColumn(format="localized")

st.subheader("Active users")
actives = data.daily_actives(start, end, app_id)
if actives.empty:
    st.info("No usage in this date range.")
    st.stop()
data.table_with_download(
    latest_actives(actives),
    name="Active users",
    column_config={
        "app": "App",
        "dau": st.column_config.NumberColumn("DAU"),
        "wau": st.column_config.NumberColumn("WAU"),
        "mau": st.column_config.NumberColumn("MAU"),
        "stickiness": st.column_config.NumberColumn("Stickiness (DAU/MAU)", format="percent"),
        "avg_stickiness": st.column_config.NumberColumn("Average stickiness", format="percent"),
        "active_accounts": st.column_config.NumberColumn("Active accounts (30 days)"),
    },
)
st.plotly_chart(charts.active_users(start, end, app_id), width="stretch")
st.plotly_chart(charts.stickiness(start, end, app_id), width="stretch")

st.subheader("Events by app and feature")
features = data.feature_events(start, end, app_id)
st.plotly_chart(charts.events_over_time(start, end, app_id), width="stretch")
by_feature = features.groupby(["app", "feature"], as_index=False)[["events"]].sum()
data.table_with_download(by_feature, name="Events by feature", column_config={"events": count})

st.subheader(f"Feature adoption, {month:%B %Y}")
adoption = data.feature_adoption(month, app_id)
st.plotly_chart(charts.adoption(month, app_id), width="stretch")
data.table_with_download(
    adoption,
    name="Feature adoption",
    column_config={
        "adoption": percent,
        "accounts": "Accounts using it",
        "active_accounts": "Active accounts",
    },
)

health = data.account_health(month, app_id)
account_columns = {
    "company": "Company",
    "events": st.column_config.NumberColumn(f"Events {month:%b %Y}"),
    "events_previous": st.column_config.NumberColumn("Month before"),
    "change": st.column_config.NumberColumn("Change", format="percent"),
    "active_agents": "Active agents",
    "account_id": None,
    "link": None,
    "at_risk": None,
    "usage_points": None,
    "billing_points": None,
    "billing": None,
    "health": None,
}
top, declining = st.columns(2)
with top:
    st.subheader("Top accounts")
    data.table_with_download(top_accounts(health), name="Top accounts", column_config=account_columns)
with declining:
    st.subheader("Declining accounts")
    data.table_with_download(
        declining_accounts(health), name="Declining accounts", column_config=account_columns
    )

st.subheader("Monthly account retention")
cohorts = data.retention_cohorts(start, end, app_id)
if cohorts.empty:
    st.info("No account cohorts start in this date range.")
else:
    shares = cohorts.drop(columns="accounts")
    st.plotly_chart(charts.cohort_heatmap(start, end, app_id), width="stretch")
    data.table_with_download(
        cohorts,
        name="Retention cohorts",
        hide_index=False,
        column_config={
            column: st.column_config.NumberColumn(column, format="percent") for column in shares.columns
        },
    )

st.subheader("Account health and churn risk")
st.caption(
    f"Health = usage trend ({month:%B} against the month before, up to 60) + billing state from "
    "Stripe (up to 40). Below 50 is at risk."
)
st.plotly_chart(charts.health_distribution(month, app_id), width="stretch")
at_risk = churn_risk(health)[["link", "company", "health", "billing", "events", "events_previous", "change"]]
data.table_with_download(
    at_risk,
    name="Churn risk",
    column_config={
        "link": st.column_config.LinkColumn("Account", display_text="Open"),
        "company": "Company",
        "health": st.column_config.ProgressColumn("Health", min_value=0, max_value=100, format="%d"),
        "billing": "Billing",
        "events": account_columns["events"],
        "events_previous": "Month before",
        "change": st.column_config.NumberColumn("Change", format="percent"),
    },
)
