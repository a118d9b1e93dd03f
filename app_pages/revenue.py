"""Revenue: MRR and ARR, monthly movements, churn and retention, quick ratio, cohorts and trial
conversion; split and filtered by segment; range and segment kept in the URL (a shared link)."""

from datetime import date

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboard import clock
from dashboard.revenue.metrics import month_start
from dashboard.revenue.screen import RevenueInputs
from dashboard.revenue.segments import Dimension, SegmentChoice
from dashboard.ui.access import require_page
from dashboard.ui.stripe_data import major, money_format, months_table, revenue_view, segment_options
from dashboard.ui.tables import csv_download

actor = require_page("revenue")
st.title("Revenue")

today = clock.today()
default_start = month_start(date(today.year - 1, today.month, 1))
left, right, split = st.columns([1, 1, 2])
first = left.date_input("From month", value=default_start, key="from", max_value=today, bind="query-params")
last = right.date_input("To month", value=today, key="to", max_value=today, bind="query-params")
if first > last:
    left.error("The start is after the end.")
    st.stop()
start, end = month_start(first), last
money = money_format()

options = segment_options()
# Plain option values (no format_func): the URL keeps what the selectbox shows, e.g. ?by=app
by_labels = {"none": "Whole business", **{d.value: d.label for d in Dimension}}
by = split.selectbox(
    "Split by",
    list(by_labels),
    key="by",
    bind="query-params",
    help="none, " + ", ".join(f"{d.value} ({d.label.lower()})" for d in Dimension),
)
with st.expander("Filter by segment", expanded=any(st.query_params.get(d.value) for d in Dimension)):
    filter_columns = st.columns(3)
    keep = []
    for position, dimension in enumerate(Dimension):
        chosen = filter_columns[position % 3].multiselect(
            dimension.label, options[dimension], key=dimension.value, bind="query-params"
        )
        keep.append((dimension, tuple(chosen)))
choice = SegmentChoice(by=Dimension(by) if by in by_labels and by != "none" else None, keep=tuple(keep))
screen = revenue_view(RevenueInputs(start, end, choice), today)
months = months_table(screen.months)

for row in screen.missing_months:
    st.warning(
        f"{row.month:%B %Y}: no exchange rate for {', '.join(c.upper() for c in row.missing_rates)} in that "
        "month, so its figures are not shown. "
        "An admin can add or import rates on Sync and settings → Stripe.",
        icon=":material/currency_exchange:",
    )
if months.empty:
    st.info("No revenue in this range.")
    st.stop()

columns = st.columns(5)
when = "now" if month_start(end) == month_start(today) else f"{end:%b %Y}"
columns[0].metric(f"MRR {when}", money % (major(screen.mrr_now) or 0))
columns[1].metric(f"ARR {when}", money % (major((screen.mrr_now or 0) * 12) or 0))
columns[2].metric("Paying accounts", f"{screen.paying_now or 0:,}")
columns[3].metric("ARPA", money % (major(screen.arpa) or 0))
columns[4].metric(
    "LTV",
    money % major(screen.ltv) if screen.ltv is not None else "n/a",
    help="ARPA of the last month / the average monthly customer churn rate of the range",
)
st.caption(
    "Each closed month at its month-end exchange rate, the open month at the latest rate; "
    "conventions in docs/revenue-metrics.md."
)

segments = (
    pd.concat([months_table(rows, value) for value, rows in screen.by_segment.items()], ignore_index=True)
    if screen.by_segment
    else pd.DataFrame()
)
split_label = by_labels[by]

st.subheader("MRR and ARR")
if not segments.empty:
    trend = px.area(
        segments,
        x="month",
        y="mrr",
        color="segment",
        labels={"month": "Month", "mrr": "MRR", "segment": split_label},
    )
else:
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
MOVEMENTS = ["new", "expansion", "reactivation", "contraction", "churn", "fx_adjustment"]
source = segments if not segments.empty else months
movements = source.melt(
    id_vars=[c for c in ("month", "segment") if c in source],
    value_vars=MOVEMENTS,
    var_name="movement",
    value_name="amount",
)
bars = px.bar(
    movements,
    x="month",
    y="amount",
    color="movement",
    barmode="relative",
    facet_row="segment" if not segments.empty else None,
    labels={"month": "Month", "amount": "Change in MRR", "movement": "", "segment": split_label},
    color_discrete_map={
        "new": "#2e7d32",
        "expansion": "#66bb6a",
        "reactivation": "#29b6f6",
        "contraction": "#ffa726",
        "churn": "#e53935",
        "fx_adjustment": "#9e9e9e",
    },
)
bars.update_traces(hovertemplate="%{x|%b %Y} %{fullData.name}: %{y:,.2f}<extra></extra>")
st.plotly_chart(bars, width="stretch")

st.subheader("Churn, net revenue retention and quick ratio")
rate_source = segments if not segments.empty else months
rates = px.line(
    rate_source,
    x="month",
    y="net_revenue_retention"
    if not segments.empty
    else ["customer_churn_rate", "gross_revenue_churn", "net_revenue_retention"],
    color="segment" if not segments.empty else None,
    markers=True,
    labels={"month": "Month", "value": "Rate", "variable": "", "net_revenue_retention": "NRR"},
)
rates.update_traces(hovertemplate="%{x|%b %Y}: %{y:.2%}")
rates.update_layout(yaxis_tickformat=".0%", hovermode="x unified")
st.plotly_chart(rates, width="stretch")

quick = px.bar(
    rate_source,
    x="month",
    y="quick_ratio",
    color="segment" if not segments.empty else None,
    barmode="group",
    labels={"month": "Month", "quick_ratio": "Quick ratio", "segment": split_label},
)
quick.update_traces(hovertemplate="%{x|%b %Y}: %{y:.2f}")
st.plotly_chart(quick, width="stretch")
st.caption(
    "Quick ratio = (new + expansion + reactivation) / (contraction + churn); none when nothing was lost."
)

st.subheader("MRR forecast, next 12 months")
forecast = screen.forecast
if forecast is None:
    st.info("Not enough closed months with rates in this range to forecast.")
else:
    band = pd.DataFrame(
        [
            {"month": p.month, "central": major(p.central), "low": major(p.low), "high": major(p.high)}
            for p in forecast.points
        ]
    )
    history_line = months[["month", "mrr"]].dropna()
    figure = go.Figure(
        [
            go.Scatter(x=band["month"], y=band["high"], line={"width": 0}, name="high", showlegend=False),
            go.Scatter(
                x=band["month"],
                y=band["low"],
                fill="tonexty",
                line={"width": 0},
                name="band (lowest–highest rate)",
            ),
            go.Scatter(
                x=band["month"], y=band["central"], name="forecast (average rate)", line={"dash": "dash"}
            ),
            go.Scatter(x=history_line["month"], y=history_line["mrr"], name="MRR"),
        ]
    )
    figure.update_traces(hovertemplate="%{x|%b %Y}: %{y:,.2f}")
    figure.update_layout(hovermode="x unified")
    st.plotly_chart(figure, width="stretch")
    st.caption(
        f"Method: {forecast.method} Average {forecast.mean_rate:.2%} a month "
        f"(lowest {forecast.low_rate:.2%}, highest {forecast.high_rate:.2%})."
    )
    csv_download(band, file_name="mrr-forecast.csv", key="forecast_csv")

table_config = {
    "segment": st.column_config.TextColumn(split_label),
    "month": st.column_config.DateColumn("Month", format="MMM YYYY"),
    **{
        name: st.column_config.NumberColumn(name.replace("_", " ").capitalize(), format=money)
        for name in (
            "mrr",
            "arr",
            "new",
            "expansion",
            "contraction",
            "churn",
            "reactivation",
            "arpa",
            "mrr_start",
            "fx_adjustment",
        )
    },
    "paying_accounts": st.column_config.NumberColumn("Paying accounts", format="%d"),
    "quick_ratio": st.column_config.NumberColumn(
        "Quick ratio", format="%.2f", help="(new + expansion + reactivation) / (contraction + churn)"
    ),
    **{
        name: st.column_config.NumberColumn(name.replace("_", " ").capitalize(), format="percent")
        for name in ("customer_churn_rate", "gross_revenue_churn", "net_revenue_retention")
    },
    "missing_rates": st.column_config.TextColumn("No rate for"),
}
shown = segments if not segments.empty else months
st.dataframe(shown, hide_index=True, width="stretch", column_config=table_config, key="revenue_table")
csv_download(shown, file_name="monthly-revenue.csv", key="revenue_csv")

cohorts_column, trials_column = st.columns(2)
with cohorts_column:
    st.subheader("Cohort retention")
    cohorts = pd.DataFrame(
        [c.__dict__ for c in screen.cohorts],
        columns=["cohort", "months_since", "accounts", "retained", "rate"],
    )
    if cohorts.empty:
        st.info("No account started paying in this range.")
    else:
        cohorts["rate"] = cohorts["rate"].map(float)
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
    trials = pd.DataFrame(
        [t.__dict__ for t in screen.trials], columns=["month", "trials_ended", "converted", "rate"]
    )
    trials["rate"] = trials["rate"].map(lambda v: float(v) if v is not None else None)
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
if screen.by_segment:
    st.caption("Cohorts and trial conversion follow the filters; they are not split.")
