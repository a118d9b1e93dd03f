"""Overview: the business at a glance for executives. Figures only; no personal data."""

from datetime import timedelta

import streamlit as st

from dashboard.billing.revenue import MissingFxRate, reporting_currency
from dashboard.ui import usage_charts as charts
from dashboard.ui import usage_data as data
from dashboard.ui.access import require_page
from dashboard.usage.rollup import ALL_APPS

actor = require_page("overview")
st.title("Overview")

PERIODS = {"30": "Last 30 days", "90": "Last 90 days", "365": "Last 12 months"}
chosen = st.query_params.get("period", "30")
period = (
    st.segmented_control(
        "Compare against the period before",
        list(PERIODS),
        format_func=PERIODS.get,
        default=chosen if chosen in PERIODS else "30",
    )
    or "30"
)
st.query_params["period"] = period
days = int(period)
today = data.today_utc()

try:
    revenue = data.revenue_overview(today, days)
except MissingFxRate as error:
    revenue = None
    st.warning(f"Revenue figures are not shown: {error.message}")
kpis = (revenue.kpis if revenue else []) + data.overview_kpis(today, days)
for row_start in range(0, len(kpis), 4):
    for column, kpi in zip(st.columns(4), kpis[row_start : row_start + 4], strict=False):
        value, change = data.kpi_texts(kpi)
        column.metric(
            kpi.label,
            value,
            delta=change,
            border=True,
            delta_color="inverse" if "privacy" in kpi.label.lower() else "normal",
            help=None if kpi.previous is None else f"Compared with {days} days earlier",
        )

start = today - timedelta(days=max(days, 365))
if revenue is not None:
    st.subheader("MRR trend")
    st.plotly_chart(charts.mrr_trend(today, days), width="stretch")
    money = st.column_config.NumberColumn(format="localized")
    data.table_with_download(
        data.mrr_trend_table(revenue.months),
        name="MRR trend",
        column_config={
            "month": st.column_config.DateColumn("Month", format="MMM YYYY"),
            "mrr": st.column_config.NumberColumn(f"MRR ({reporting_currency().upper()})", format="localized"),
            "new": money,
            "expansion": money,
            "reactivation": money,
            "contraction": money,
            "churn": money,
            "paying_accounts": "Paying accounts",
            "nrr": st.column_config.NumberColumn("NRR", format="percent"),
        },
    )

installs, usage = st.columns(2)
with installs:
    st.subheader("Net installs")
    st.plotly_chart(charts.net_installs(start, today), width="stretch")
    data.table_with_download(
        data.net_installs(start, today),
        name="Net installs",
        column_config={"month": st.column_config.DateColumn("Month", format="MMM YYYY")},
    )
with usage:
    st.subheader("Usage trend")
    actives = data.daily_actives(start, today, ALL_APPS)
    if actives.empty:
        st.info("No usage has been rolled up yet.")
    else:
        st.plotly_chart(charts.usage_trend(start, today), width="stretch")
    trend = actives[["day", "dau", "wau", "mau", "stickiness", "events"]]
    data.table_with_download(
        trend,
        name="Usage trend",
        column_config={
            "day": st.column_config.DateColumn("Day"),
            "stickiness": st.column_config.NumberColumn(format="percent"),
        },
    )
