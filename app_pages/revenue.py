"""Revenue: MRR and ARR, monthly movements, churn and retention, cohorts and trial conversion."""

from datetime import date

import plotly.express as px
import streamlit as st

from dashboard import clock
from dashboard.revenue import MissingFxRate
from dashboard.revenue.metrics import month_start
from dashboard.ui.access import require_page
from dashboard.ui.stripe_data import (
    cohort_frame,
    headline,
    money_format,
    revenue_frame,
    trial_frame,
)
from dashboard.ui.tables import csv_download

actor = require_page("revenue")
st.title("Revenue")

today = clock.today()
default_start = month_start(date(today.year - 1, today.month, 1))
left, right, _ = st.columns([1, 1, 2])
first = left.date_input("From month", value=default_start, key="from", max_value=today, bind="query-params")
last = right.date_input("To month", value=today, key="to", max_value=today, bind="query-params")
if first > last:
    left.error("The start is after the end.")
    st.stop()
start, end = month_start(first), last
money = money_format()

try:
    top = headline(start, end)
    months = revenue_frame(start, end)
except MissingFxRate as error:
    st.error(error.message)
    st.stop()

for row in months[months["missing_rates"] != ""].itertuples():
    st.warning(
        f"{row.month:%B %Y}: no exchange rate for {row.missing_rates} in that month, so its figures are "
        "not shown. An admin can add or import rates on Sync and settings → Stripe.",
        icon=":material/currency_exchange:",
    )

columns = st.columns(5)
columns[0].metric("MRR now", money % top["mrr"])
columns[1].metric("ARR now", money % top["arr"])
columns[2].metric("Paying accounts", f"{top['paying']:,}")
columns[3].metric("ARPA", money % (top["arpa"] or 0))
columns[4].metric(
    "LTV",
    money % top["ltv"] if top["ltv"] is not None else "n/a",
    help="ARPA of the last month / the average monthly customer churn rate of the range",
)

st.subheader("MRR and ARR")
trend = px.line(
    months,
    x="month",
    y=["mrr", "arr"],
    markers=True,
    labels={"month": "Month", "value": "Reporting currency", "variable": ""},
)
trend.update_traces(hovertemplate="%{x|%b %Y}: %{y:,.2f}")
trend.update_layout(hovermode="x unified")
st.plotly_chart(trend, width="stretch")

st.subheader("MRR movements")
MOVEMENTS = ["new", "expansion", "reactivation", "contraction", "churn"]
movements = months.melt(id_vars="month", value_vars=MOVEMENTS, var_name="movement", value_name="amount")
bars = px.bar(
    movements,
    x="month",
    y="amount",
    color="movement",
    barmode="relative",
    labels={"month": "Month", "amount": "Change in MRR", "movement": ""},
    color_discrete_map={
        "new": "#2e7d32",
        "expansion": "#66bb6a",
        "reactivation": "#29b6f6",
        "contraction": "#ffa726",
        "churn": "#e53935",
    },
)
bars.update_traces(hovertemplate="%{x|%b %Y} %{fullData.name}: %{y:,.2f}<extra></extra>")
st.plotly_chart(bars, width="stretch")

st.subheader("Churn and net revenue retention")
rates = px.line(
    months,
    x="month",
    y=["customer_churn_rate", "gross_revenue_churn", "net_revenue_retention"],
    markers=True,
    labels={"month": "Month", "value": "Rate", "variable": ""},
)
rates.update_traces(hovertemplate="%{x|%b %Y}: %{y:.2%}")
rates.update_layout(yaxis_tickformat=".0%", hovermode="x unified")
st.plotly_chart(rates, width="stretch")

table_config = {
    "month": st.column_config.DateColumn("Month", format="MMM YYYY"),
    **{
        name: st.column_config.NumberColumn(name.replace("_", " ").capitalize(), format=money)
        for name in ("mrr", "arr", "new", "expansion", "contraction", "churn", "reactivation", "arpa")
    },
    "paying_accounts": st.column_config.NumberColumn("Paying accounts", format="%d"),
    **{
        name: st.column_config.NumberColumn(name.replace("_", " ").capitalize(), format="percent")
        for name in ("customer_churn_rate", "gross_revenue_churn", "net_revenue_retention")
    },
}
st.dataframe(months, hide_index=True, width="stretch", column_config=table_config)
csv_download(months, file_name="monthly-revenue.csv", key="revenue_csv")

cohorts_column, trials_column = st.columns(2)
with cohorts_column:
    st.subheader("Cohort retention")
    cohorts = cohort_frame(start, end)
    if cohorts.empty:
        st.info("No account started paying in this range.")
    else:
        grid = cohorts.pivot(index="cohort", columns="months_since", values="rate")
        heat = px.imshow(
            grid,
            text_auto=".0%",
            aspect="auto",
            color_continuous_scale="Greens",
            zmin=0,
            zmax=1,
            labels={"x": "Months since first payment", "y": "Cohort", "color": "Retained"},
        )
        heat.update_yaxes(tickformat="%b %Y")
        st.plotly_chart(heat, width="stretch")
        csv_download(cohorts, file_name="cohort-retention.csv", key="cohort_csv")
with trials_column:
    st.subheader("Trial conversion")
    trials = trial_frame(start, end)
    conversion = px.bar(
        trials,
        x="month",
        y="rate",
        hover_data=["trials_ended", "converted"],
        labels={
            "month": "Trial ended in",
            "rate": "Converted",
            "trials_ended": "Trials ended",
            "converted": "Went on to pay",
        },
    )
    conversion.update_layout(yaxis_tickformat=".0%")
    st.plotly_chart(conversion, width="stretch")
    csv_download(trials, file_name="trial-conversion.csv", key="trials_csv")
