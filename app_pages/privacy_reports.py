"""Privacy reporting per year (received, completed, denied, days to respond) and the suppression list."""

import pandas as pd
import streamlit as st
from plotly.graph_objects import Figure

from dashboard.core.csv_export import frame_to_csv
from dashboard.privacy import charts, reports, subjects
from dashboard.privacy.screens import ReportScreen, report_screen
from dashboard.ui.access import require_page
from dashboard.ui.cache_groups import Group, cached
from dashboard.ui.store import db_session
from dashboard.ui.timezones import frame_to_viewer

REPORT_CACHE_SECONDS = 60


# cache_resource, not cache_data: the faceted figure is most of the page's time, and cache_data would
# pickle a copy of it on every run. The page only reads what it returns.
@cached(Group.PRIVACY, ttl=REPORT_CACHE_SECONDS, show_spinner="Counting requests…", resource=True)
def report_view(by: str) -> tuple[ReportScreen, Figure | None]:
    with db_session() as session:
        screen = report_screen(session, by=by)
    return screen, charts.yearly_requests(screen)


actor = require_page("privacy_reports")
st.title("Privacy reports")

by = (
    st.segmented_control(
        "Break down by",
        list(reports.GROUPINGS),
        default="type",
        key="by",
        format_func=str.capitalize,
        bind="query-params",
    )
    or "type"
)
screen, chart = report_view(by)
report = screen.rows
st.dataframe(
    report,
    hide_index=True,
    width="stretch",
    column_config={
        "year": st.column_config.NumberColumn("Year", format="%d"),
        "group": by.capitalize(),
        "received": st.column_config.NumberColumn("Received", format="%d"),
        "completed": st.column_config.NumberColumn("Completed", format="%d"),
        "denied": st.column_config.NumberColumn("Denied", format="%d"),
        "median_days": st.column_config.NumberColumn("Median days to respond", format="%.1f"),
        "p95_days": st.column_config.NumberColumn("95th percentile days", format="%.1f"),
    },
)
st.download_button(
    "Download report (CSV)",
    frame_to_csv(report),
    file_name=f"privacy-report-by-{by}.csv",
    mime="text/csv",
    icon=":material/download:",
)
st.caption(
    "Days to respond run from receipt to the day the answer went out (completed or denied). "
    f"The report is recounted at most every {REPORT_CACHE_SECONDS} seconds. "
    "Request records are kept for at least 24 months; nothing purges them."
)
if chart is not None:
    st.plotly_chart(chart, width="stretch")

st.subheader("Marketing suppression list")
with db_session() as session:  # never cached: an opt-out must be on the list the moment it is recorded
    suppression = subjects.suppression_list(session)
st.caption("Every opted-out email address with the date its opt-out took effect. Marketing must skip these.")
suppressed = frame_to_viewer(
    pd.DataFrame(suppression, columns=["email", "opted_out_at", "contacts"]), "opted_out_at"
)
st.dataframe(
    suppressed,
    hide_index=True,
    width="stretch",
    column_config={
        "email": "Email",
        "opted_out_at": st.column_config.DatetimeColumn("Opted out since", format="YYYY-MM-DD HH:mm z"),
        "contacts": st.column_config.NumberColumn("Contacts", format="%d"),
    },
)
st.download_button(
    "Download suppression list (CSV)",
    frame_to_csv(suppressed),
    file_name="marketing-suppression-list.csv",
    mime="text/csv",
    icon=":material/download:",
)
