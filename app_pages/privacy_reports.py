"""Privacy reporting per year (received, completed, denied, days to respond) and the suppression list."""

import pandas as pd
import streamlit as st

from dashboard.core.csv_export import frame_to_csv
from dashboard.privacy import reports, subjects
from dashboard.ui.access import require_page
from dashboard.ui.privacy_cache import REPORT_CACHE_SECONDS, yearly_report_view
from dashboard.ui.store import db_session
from dashboard.ui.timezones import frame_to_viewer

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
report, chart = yearly_report_view(by)
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
