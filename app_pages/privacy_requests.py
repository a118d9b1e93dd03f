"""Privacy requests: the officer's queue (overdue first, filters in the URL), or one request with ?id=N."""

import streamlit as st

from dashboard.core.errors import ConflictError, ValidationError
from dashboard.core.ids import parse_id
from dashboard.presentation.columns import csv_frame
from dashboard.presentation.text import count
from dashboard.privacy import queue, requests
from dashboard.privacy.deadlines import JURISDICTION_LABELS
from dashboard.privacy.requests import TYPE_LABELS
from dashboard.privacy.screens import QUEUE_COLUMNS, QueueInputs, request_detail_screen
from dashboard.privacy.states import OPEN_STATUSES, STATUS_LABELS
from dashboard.ui.access import require_page
from dashboard.ui.privacy import (
    URGENCY_COLOURS,
    jurisdiction_label,
    open_request,
    queue_view,
    status_label,
    type_label,
    viewer_today,
)
from dashboard.ui.privacy_detail import show_request
from dashboard.ui.store import db_session
from dashboard.ui.tables import csv_download, table_frame
from dashboard.ui.timezones import viewer_timezone
from dashboard.ui.url_filters import url_selectbox, url_value

actor = require_page("privacy")

opened = st.query_params.get("id")
if opened is not None:
    request_id = parse_id(opened)
    if request_id is None:
        st.error("No such request.")
    else:
        try:
            with db_session() as session:
                detail = request_detail_screen(
                    session, request_id, today=viewer_today(), zone=viewer_timezone()
                )
        except ValidationError as error:
            st.error(error.message)
        else:
            show_request(actor, detail)
    st.stop()

st.title("Privacy requests")
filter_columns = st.columns([2, 3, 2, 2, 1])
types = filter_columns[0].multiselect(
    "Type", list(TYPE_LABELS), format_func=type_label, key="type", bind="query-params"
)
statuses = filter_columns[1].multiselect(
    "Status",
    list(STATUS_LABELS),
    default=list(OPEN_STATUSES),
    format_func=status_label,
    key="status",
    bind="query-params",
)
jurisdictions = filter_columns[2].multiselect(
    "Jurisdiction",
    list(JURISDICTION_LABELS),
    format_func=jurisdiction_label,
    key="jurisdiction",
    bind="query-params",
)
mine = filter_columns[4].toggle("Mine", key="mine", bind="query-params")

# The officers to filter by come with the screen, so the Assignee filter is drawn after it; so is the
# calendar toggle below the table (its last value is in the session).
inputs = QueueInputs(
    filters=queue.QueueFilters(
        types=tuple(types), statuses=tuple(statuses), jurisdictions=tuple(jurisdictions)
    ),
    assignee=url_value("assignee", None),
    mine=mine,
    calendar_mine=st.session_state.get("ics_mine", False),
)
page = queue_view(inputs, actor)
url_selectbox(
    filter_columns[3], "Assignee", page.assignees, key="assignee", default=None, placeholder="Anyone"
)
screen = page.queue
frame = screen.rows
metrics = st.columns(4)
metrics[0].metric("Shown", count(screen.shown))
metrics[1].metric("Overdue", count(screen.overdue))
metrics[2].metric("Due today", count(screen.due_today))
metrics[3].metric("Under 5 days", count(screen.under_five_days))
st.caption(f"Deadlines are dates; today is {screen.today:%A %d %B %Y} in your time zone.")

shown, config = table_frame(frame, QUEUE_COLUMNS)
styled = shown.style.apply(lambda _: frame["urgency"].map(URGENCY_COLOURS), subset=["deadline", "due_on"])
picked = st.dataframe(
    styled,
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key="queue_table",
    column_config=config,
)
csv_download(
    csv_frame(frame, QUEUE_COLUMNS),
    file_name="privacy-queue.csv",
    key="queue_csv",
    label="Download queue (CSV)",
)
st.toggle("Calendar: only requests assigned to me", key="ics_mine")
st.download_button(
    "Deadlines for my calendar (ICS)",
    page.calendar,
    file_name="privacy-deadlines.ics",
    mime="text/calendar",
    icon=":material/calendar_month:",
    help="Every open request's due date and owed acknowledgement, as all-day events (no personal data).",
)

selected = picked.selection.rows if picked else []
if selected:
    row = frame.iloc[selected[0]]
    st.subheader(f"Request #{row['id']}")
    left, right = st.columns([1, 3])
    if left.button("Open request", icon=":material/open_in_new:", type="primary"):
        open_request(int(row["id"]))
    with right.form("queue_assign"):
        names = page.officers
        to = st.selectbox("Assign to", [None, *names], format_func=lambda i: names.get(i, "Nobody"))
        if st.form_submit_button("Assign"):
            try:
                with db_session() as session:
                    requests.assign(
                        session,
                        actor,
                        request_id=int(row["id"]),
                        expected_version=int(row["version"]),
                        assignee_id=to,
                    )
                st.toast(
                    f"Request #{row['id']} assigned to {names.get(to, 'nobody')}.", icon=":material/check:"
                )
                st.rerun()
            except (ConflictError, ValidationError) as error:
                st.error(str(error))

with st.form("open_by_number"):
    number = st.number_input("Open request number", min_value=1, step=1, value=None)
    if st.form_submit_button("Open") and number:
        open_request(int(number))
