"""Audit log (privacy officer, admin): who did what, when, to which record. Filters live in the URL."""

import json

import pandas as pd
import streamlit as st

from dashboard.core import audit_query, clock
from dashboard.core.audit_query import AUDIT_COLUMNS
from dashboard.ui.access import require_page
from dashboard.ui.audit import audit_filter_options, export_frame
from dashboard.ui.store import db_session, get_engine
from dashboard.ui.tables import csv_download, show_table
from dashboard.ui.timezones import viewer_timezone

PAGE_SIZE = 100

actor = require_page("audit")
st.title("Audit log")
st.caption(
    "Every change and sign-in, append-only and hash-chained. "
    "`python -m dashboard audit verify` proves no row was altered or removed."
)

actions, target_types = audit_filter_options()
tz_name = viewer_timezone()
today = clock.today(tz_name)

c1, c2, c3, c4, c5 = st.columns([2, 2, 1.5, 1.5, 2.5])
actor_text = c1.text_input("Actor", key="who", bind="query-params", placeholder="part of an email")
action = c2.selectbox(
    "Action", ["", *actions], format_func=lambda a: a or "Any action", key="action", bind="query-params"
)
target_type = c3.selectbox(
    "Target", ["", *target_types], format_func=lambda t: t or "Any target", key="target", bind="query-params"
)
target_id = c4.text_input("Target id", key="target_id", bind="query-params")
dates = c5.date_input(
    "Dates",
    value=audit_query.dates_shown(None, today),
    key="dates",
    bind="query-params",
    help=f"Whole days in your time zone ({tz_name}).",
)

first, last = audit_query.dates_shown(dates, today)
since, until = audit_query.day_bounds(first, last, tz_name)
flt = audit_query.AuditFilter(
    actor=actor_text or "",
    action=action or "",
    target_type=target_type or "",
    target_id=target_id or "",
    since=since,
    until=until,
)

page_number = st.columns([1, 5])[0].number_input(
    "Page", min_value=1, value=1, step=1, key="page", bind="query-params"
)
with db_session() as session:
    result = audit_query.find_events(session, flt, page=int(page_number), page_size=PAGE_SIZE)

if not result.rows:
    st.info("No audit events match these filters.")
else:
    frame = pd.DataFrame(result.rows)
    show_table(frame.assign(details=frame["details"].map(json.dumps)), AUDIT_COLUMNS, key="audit_rows")
    shown_from = (result.page - 1) * PAGE_SIZE + 1
    more = " · more on the next page" if result.has_next else ""
    st.caption(f"Rows {shown_from}–{shown_from + len(result.rows) - 1}, newest first{more}.")
    engine = get_engine()
    csv_download(
        lambda: export_frame(engine, flt, tz_name),
        file_name=f"audit-log-{first}-{last}.csv",
        key="audit_csv",
        label="Download all matching rows (CSV)",
    )
