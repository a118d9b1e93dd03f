"""Overview: the business at a glance for executives. Figures only; no personal data."""

import streamlit as st

from dashboard.business.overview import (
    INSTALL_COLUMNS,
    PERIODS,
    USAGE_COLUMNS,
    OverviewInputs,
)
from dashboard.core import clock
from dashboard.ui.access import require_page
from dashboard.ui.page_data import overview_data, overview_figures
from dashboard.ui.tables import show_table

actor = require_page("overview")
st.title("Overview")

chosen = OverviewInputs.from_param(st.query_params.get("period"))
period = (
    st.segmented_control(
        "Compare against the period before",
        list(PERIODS),
        format_func=PERIODS.get,
        default=chosen.period_days,
    )
    or chosen.period_days
)
st.query_params["period"] = str(period)
inputs = OverviewInputs(period)
today = clock.today()
screen = overview_data(inputs, today=today)
drawn = overview_figures(inputs, today)

for month in screen.missing_rates:
    st.warning(
        f"{month.month:%B %Y}: no exchange rate for {', '.join(c.upper() for c in month.missing_rates)}, "
        "so its revenue figures are not shown. An admin can add or import rates on Sync and settings.",
        icon=":material/currency_exchange:",
    )
# Three tiles a row: at four, an ARR of eight figures was cut short at 1400 px ("$26,091,6…").
TILES_PER_ROW = 3
for row_start in range(0, len(screen.tiles), TILES_PER_ROW):
    row = st.columns(TILES_PER_ROW)
    for column, kpi in zip(row, screen.tiles[row_start : row_start + TILES_PER_ROW], strict=False):
        column.metric(
            kpi.label,
            kpi.value_text,
            delta=kpi.change_text,
            border=True,
            delta_color="inverse" if kpi.lower_is_better else "normal",
            help=None if kpi.previous is None else screen.comparison,
        )

st.subheader("MRR trend")
st.plotly_chart(drawn["mrr"], width="stretch")
show_table(screen.mrr_rows, screen.mrr_columns, key="mrr_trend", file_name="mrr-trend.csv", width="stretch")

installs, usage = st.columns(2)
with installs:
    st.subheader("Net installs")
    st.plotly_chart(drawn["installs"], width="stretch")
    show_table(screen.installs, INSTALL_COLUMNS, key="net_installs", file_name="net-installs.csv")
with usage:
    st.subheader("Usage trend")
    if screen.usage.empty:
        st.info("No usage has been rolled up yet.")
    else:
        st.plotly_chart(drawn["usage"], width="stretch")
        show_table(screen.usage, USAGE_COLUMNS, key="usage_trend", file_name="usage-trend.csv")
