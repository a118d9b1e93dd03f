"""Plotly figures for the Usage and Overview pages, built once per filter and shared read-only.

Plotly Express takes tenths of a second per figure; caching the built figure with
`st.cache_resource` (no pickling copy, unlike `st.cache_data`) keeps a cached page run well under
0.2 s. Pages must treat the figures as read-only.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboard.ui import usage_data as data

FIGURE_CACHE = {"ttl": data.CACHE_SECONDS, "max_entries": 256, "show_spinner": False}


@st.cache_resource(**FIGURE_CACHE)
def active_users(start: date, end: date, app_id: int | None) -> go.Figure:
    actives = data.daily_actives(start, end, app_id)
    long = actives.melt(
        id_vars=["day", "app"], value_vars=["dau", "wau", "mau"], var_name="measure", value_name="users"
    )
    return px.line(
        long,
        x="day",
        y="users",
        color="app",
        line_dash="measure",
        title="DAU, WAU and MAU",
        labels={"day": "Day (UTC)", "users": "Active users", "measure": "Measure"},
    )


@st.cache_resource(**FIGURE_CACHE)
def stickiness(start: date, end: date, app_id: int | None) -> go.Figure:
    actives = data.daily_actives(start, end, app_id)
    figure = px.line(
        actives,
        x="day",
        y="stickiness",
        color="app",
        title="Stickiness (DAU/MAU)",
        labels={"day": "Day (UTC)", "stickiness": "Stickiness"},
    )
    return figure.update_yaxes(tickformat=".0%")


@st.cache_resource(**FIGURE_CACHE)
def events_over_time(start: date, end: date, app_id: int | None) -> go.Figure:
    """Weekly events: by app when all apps are shown, by feature for one app."""
    features = data.feature_events(start, end, app_id)
    series = "app" if app_id is None else "feature"
    weekly = (
        features.assign(week=pd.to_datetime(features["day"]).dt.to_period("W").dt.start_time)
        .groupby(["week", series], as_index=False)["events"]
        .sum()
    )
    return px.area(
        weekly,
        x="week",
        y="events",
        color=series,
        title="Events per week",
        labels={"week": "Week of", "events": "Events"},
    )


@st.cache_resource(**FIGURE_CACHE)
def adoption(month: date, app_id: int | None) -> go.Figure:
    frame = data.feature_adoption(month, app_id)
    figure = px.bar(
        frame,
        x="adoption",
        y="feature",
        color="app",
        orientation="h",
        barmode="group",
        hover_data=["accounts", "active_accounts"],
        labels={"adoption": "Share of active accounts", "feature": "Feature"},
    )
    return figure.update_xaxes(tickformat=".0%")


@st.cache_resource(**FIGURE_CACHE)
def cohort_heatmap(start: date, end: date, app_id: int | None) -> go.Figure:
    shares = data.retention_cohorts(start, end, app_id).drop(columns="accounts")
    return px.imshow(
        shares,
        text_auto=".0%",
        aspect="auto",
        color_continuous_scale="Blues",
        labels={"x": "Months since first use", "y": "First active month", "color": "Still active"},
    )


@st.cache_resource(**FIGURE_CACHE)
def health_distribution(month: date, app_id: int | None) -> go.Figure:
    health = data.account_health(month, app_id)
    bins = (
        health.assign(score=(health["health"] // 10 * 10).clip(upper=90))
        .groupby(["score", "billing"], as_index=False)
        .size()
    )
    return px.bar(
        bins,
        x="score",
        y="size",
        color="billing",
        title="Accounts by health score",
        labels={"score": "Health score (from)", "size": "Accounts", "billing": "Billing"},
    )


@st.cache_resource(**FIGURE_CACHE)
def net_installs(start: date, end: date) -> go.Figure:
    return px.bar(
        data.net_installs(start, end),
        x="month",
        y=["installs", "uninstalls", "net"],
        barmode="group",
        labels={"month": "Month", "value": "Installations", "variable": ""},
    )


@st.cache_resource(**FIGURE_CACHE)
def usage_trend(start: date, end: date) -> go.Figure:
    actives = data.daily_actives(start, end, data.metrics.ALL_APPS)
    return px.line(
        actives, x="day", y=["dau", "mau"], labels={"day": "Day (UTC)", "value": "Users", "variable": ""}
    )


@st.cache_resource(**FIGURE_CACHE)
def mrr_trend(today: date, period_days: int) -> go.Figure:
    table = data.mrr_trend_table(data.revenue_overview(today, period_days).months)
    currency = data.reporting_currency().upper()
    movements = table.melt(
        id_vars="month", value_vars=list(data.MONEY_COLUMNS[1:]), var_name="movement", value_name="amount"
    )
    figure = px.bar(
        movements,
        x="month",
        y="amount",
        color="movement",
        labels={"month": "Month", "amount": f"MRR movement ({currency})", "movement": ""},
    )
    figure.add_scatter(x=table["month"], y=table["mrr"], name=f"MRR ({currency})", mode="lines+markers")
    return figure.update_layout(barmode="relative")
