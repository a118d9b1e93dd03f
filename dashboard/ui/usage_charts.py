"""Plotly figures for the Overview page, built once per filter and shared read-only.

Plotly Express takes tenths of a second per figure; caching the built figure with
`st.cache_resource` (no pickling copy, unlike `st.cache_data`) keeps a cached page run well under
0.2 s. Pages must treat the figures as read-only.
"""

from __future__ import annotations

from datetime import date

import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboard.ui import usage_data as data

FIGURE_CACHE = {"ttl": data.CACHE_SECONDS, "max_entries": 256, "show_spinner": False}


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
