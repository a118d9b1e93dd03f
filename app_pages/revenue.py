"""Revenue: MRR and ARR, monthly movements, churn and retention, quick ratio, forecast, cohorts and trial
conversion; split and filtered by segment; range and segment kept in the URL (a shared link)."""

import streamlit as st

from dashboard.billing.revenue import charts
from dashboard.billing.revenue.screen import (
    COHORT_COLUMNS,
    NO_SPLIT,
    SPLIT_CHOICES,
    TRIAL_COLUMNS,
    RevenueInputs,
    cohort_rows,
    default_range,
    forecast_columns,
    forecast_rows,
    month_columns,
    month_rows,
    trial_rows,
)
from dashboard.billing.revenue.segments import Dimension, SegmentChoice
from dashboard.core import clock
from dashboard.presentation import palette
from dashboard.presentation.text import count, money, month, percent
from dashboard.ui.access import require_page
from dashboard.ui.forms import FieldErrors
from dashboard.ui.page_data import revenue_data
from dashboard.ui.tables import show_table
from dashboard.ui.url_filters import url_multiselect, url_selectbox, url_values

actor = require_page("revenue")
st.title("Revenue")

today = clock.today()
default_start, default_end = default_range(today)
left, right, split = st.columns([1, 1, 2])
errors = FieldErrors()
with left:
    first = st.date_input("From month", value=default_start, key="from", max_value=today, bind="query-params")
    errors.slot("from")
last = right.date_input("To month", value=default_end, key="to", max_value=today, bind="query-params")

by = url_selectbox(split, "Split by", SPLIT_CHOICES, key="by", default=NO_SPLIT)
# The segment filters' choices come with the screen, so their widgets are drawn after it.
keep = tuple((dimension, tuple(url_values(dimension.value))) for dimension in Dimension)
choice = SegmentChoice(by=None if by == NO_SPLIT else Dimension(by), keep=keep)
inputs = None
with errors.reported():  # a start after the end is refused under "From month"
    inputs = RevenueInputs.from_form(first, last, choice)
if inputs is None:
    st.stop()
screen = revenue_data(inputs, today)
with st.expander("Filter by segment", expanded=any(values for _, values in keep)):
    filter_columns = st.columns(3)
    for position, dimension in enumerate(Dimension):
        values = {value: value for value in screen.options[dimension]}
        url_multiselect(filter_columns[position % 3], dimension.label, values, key=dimension.value)
currency = screen.currency

for row in screen.missing_months:
    st.warning(
        f"{row.month:%B %Y}: no exchange rate for {', '.join(c.upper() for c in row.missing_rates)} in that "
        "month, so its figures are not shown. "
        "An admin can add or import rates on Sync and settings → Stripe.",
        icon=":material/currency_exchange:",
    )
if not screen.months:
    st.info("No revenue in this range.")
    st.stop()

when = "now" if screen.ends_in_open_month else month(inputs.end)
top = st.columns(3)
top[0].metric(f"MRR {when}", money(screen.mrr_now, currency), border=True)
top[1].metric(f"ARR {when}", money(screen.arr_now, currency), border=True)
top[2].metric("Paying accounts", count(screen.paying_now), border=True)
bottom = st.columns(3)
bottom[0].metric("ARPA", money(screen.arpa, currency), help="MRR / paying accounts", border=True)
bottom[1].metric(
    "LTV",
    money(screen.ltv, currency),
    help="ARPA of the last month / the average monthly customer churn rate of the range",
    border=True,
)
bottom[2].metric(
    "Net revenue retention", percent(screen.months[-1].net_revenue_retention), help="Last month", border=True
)
st.caption(
    f"Amounts in {currency.upper()}. Each closed month at its month-end exchange rate, the open month "
    "(shaded) at the latest rate; conventions in docs/revenue-metrics.md."
)

split_label = SPLIT_CHOICES[by]
shown_segments: list[str] | None = None
if screen.by_segment:
    names = list(screen.by_segment)
    shown_segments = screen.largest_segments(palette.MAX_SERIES)
    if len(names) > palette.MAX_SERIES:
        shown_segments = st.multiselect(
            f"{split_label} shown in the charts",
            names,
            default=shown_segments,
            max_selections=palette.MAX_SERIES,
            help=f"At most {palette.MAX_SERIES}; the largest by MRR are shown first.",
        )
    charted = {name: screen.by_segment[name] for name in shown_segments}
    st.plotly_chart(charts.segment_mrr(charted, currency, split_label), width="stretch")
    focus = st.selectbox("MRR movements of", ["All shown together", *names], key="movements_of")
    months_for_movements = screen.months if focus == "All shown together" else screen.by_segment[focus]
    title = "MRR movements" if focus == "All shown together" else f"MRR movements: {focus}"
    st.plotly_chart(charts.movements(months_for_movements, currency, title=title), width="stretch")
    st.plotly_chart(charts.segment_retention(charted, split_label), width="stretch")
else:
    st.plotly_chart(charts.mrr_trend(screen.months, currency), width="stretch")
    st.plotly_chart(charts.movements(screen.months, currency), width="stretch")
    st.plotly_chart(charts.retention_rates(screen.months), width="stretch")
st.plotly_chart(charts.quick_ratio(screen.months), width="stretch")
st.caption(
    "Quick ratio = (new + expansion + reactivation) / (contraction + churn); none when nothing was lost."
)

if screen.forecast is None:
    st.info("Not enough closed months with rates in this range to forecast.")
else:
    st.plotly_chart(charts.forecast(screen.forecast, screen.months, currency), width="stretch")
    forecast = screen.forecast
    st.caption(
        f"Method: {forecast.method} Average {percent(forecast.mean_rate, digits=2)} a month "
        f"(lowest {percent(forecast.low_rate, digits=2)}, highest {percent(forecast.high_rate, digits=2)})."
    )
    show_table(
        forecast_rows(forecast),
        forecast_columns(currency),
        key="forecast_table",
        file_name="mrr-forecast.csv",
        width="stretch",
    )

st.subheader("Month by month")
show_table(
    month_rows(screen, list(screen.by_segment) if screen.by_segment else None),
    month_columns(currency, split_label=split_label if screen.by_segment else None),
    key="revenue_table",
    file_name="monthly-revenue.csv",
    width="stretch",
)

cohorts_column, trials_column = st.columns(2)
with cohorts_column:
    if not screen.cohorts:
        st.info("No account started paying in this range.")
    else:
        st.plotly_chart(charts.cohort_heatmap(screen.cohorts), width="stretch")
        show_table(cohort_rows(screen), COHORT_COLUMNS, key="cohort_table", file_name="cohort-retention.csv")
with trials_column:
    st.plotly_chart(charts.trial_conversion(screen.trials), width="stretch")
    show_table(trial_rows(screen), TRIAL_COLUMNS, key="trials_table", file_name="trial-conversion.csv")
if screen.by_segment:
    st.caption("Cohorts and trial conversion follow the filters; they are not split.")
