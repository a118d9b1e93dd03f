"""Installations: filters kept in the URL, counts by state, weekly installs/uninstalls, the full table."""

import streamlit as st

from dashboard.core import clock
from dashboard.presentation.columns import csv_frame
from dashboard.presentation.text import count, words
from dashboard.ui.access import require_page
from dashboard.ui.forms import FieldErrors
from dashboard.ui.page_data import installations_screen
from dashboard.ui.tables import csv_download, show_table
from dashboard.ui.url_filters import url_multiselect, url_selectbox, url_values
from dashboard.zendesk import charts
from dashboard.zendesk.installations import InstallationFilters
from dashboard.zendesk.screens import (
    INSTALLATION_COLUMNS,
    PAID_CHOICES,
    PAID_FILTER,
    STATE_CHOICES,
)

TABLE_ROWS = 5_000


actor = require_page("installations")
st.title("Installations")

with st.container(border=True):
    row1 = st.columns([2, 2, 2, 1])
    states = url_multiselect(row1[1], "State", STATE_CHOICES, key="state")
    paid = url_selectbox(row1[3], "Paid", PAID_CHOICES, key="paid", default="any")
    row2 = st.columns([2, 1, 1])
    account = row2[0].text_input(
        "Account", key="account", placeholder="Company name or subdomain", max_chars=100, bind="query-params"
    )
    errors = FieldErrors()
    with row2[1]:
        since = st.date_input("Installed or uninstalled from", key="since", value=None, bind="query-params")
        errors.slot("since")
    until = row2[2].date_input("to", key="until", value=None, bind="query-params")

# The App and Plan choices come with the screen, so their widgets are drawn after it.
filters = InstallationFilters(
    app_ids=tuple(url_values("app", int)),
    states=tuple(states),
    plans=tuple(url_values("plan")),
    paid=PAID_FILTER[paid],
    account=account.strip(),
    since=since,
    until=until,
)
screen = None
with errors.reported():  # a start after the end is refused under the "from" field
    screen = installations_screen(filters, today=clock.today())
if screen is None:
    st.stop()
url_multiselect(row1[0], "App", screen.options.apps, key="app", parse=int)
url_multiselect(row1[2], "Plan", {plan: plan for plan in screen.options.plans}, key="plan")
for column, (state, number) in zip(st.columns(len(screen.counts)), screen.counts.items(), strict=True):
    column.metric(words(state), count(number))

st.subheader("Installs and uninstalls per week")
if screen.weekly.empty:
    st.info("No installs or uninstalls for these filters.")
else:
    st.plotly_chart(charts.weekly_installs(screen), width="stretch")

st.subheader("Installations")
rows = screen.rows
if len(rows) > TABLE_ROWS:
    st.caption(
        f"Showing the newest {count(TABLE_ROWS)} of {count(len(rows))} installations; the CSV has them all."
    )
show_table(rows.head(TABLE_ROWS), INSTALLATION_COLUMNS, key="installations", width="stretch")
if not rows.empty:
    csv_download(
        lambda: csv_frame(rows, INSTALLATION_COLUMNS), file_name="installations.csv", key="installations_csv"
    )
