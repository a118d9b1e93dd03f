"""Installations: filters kept in the URL, counts by state, weekly installs/uninstalls, the full table."""

import streamlit as st

from dashboard.core import clock
from dashboard.presentation.columns import csv_frame
from dashboard.presentation.text import count, words
from dashboard.ui.access import require_page
from dashboard.ui.installations_data import filter_options, installations_screen
from dashboard.ui.tables import csv_download, show_table
from dashboard.zendesk import charts
from dashboard.zendesk.installations import STATES, InstallationFilters
from dashboard.zendesk.screens import INSTALLATION_COLUMNS

TABLE_ROWS = 5_000
PAID_CHOICES = {"any": None, "paid": True, "unpaid": False}

actor = require_page("installations")
st.title("Installations")
options = filter_options()

with st.container(border=True):
    row1 = st.columns([2, 2, 2, 1])
    apps = row1[0].multiselect(
        "App", list(options.apps), format_func=options.apps.get, key="app", bind="query-params"
    )
    states = row1[1].multiselect("State", STATES, key="state", bind="query-params")
    plans = row1[2].multiselect("Plan", options.plans, key="plan", bind="query-params")
    paid = row1[3].selectbox("Paid", list(PAID_CHOICES), key="paid", bind="query-params")
    row2 = st.columns([2, 1, 1])
    account = row2[0].text_input(
        "Account", key="account", placeholder="Company name or subdomain", max_chars=100, bind="query-params"
    )
    since = row2[1].date_input("Installed or uninstalled from", key="since", value=None, bind="query-params")
    until = row2[2].date_input("to", key="until", value=None, bind="query-params")

if since and until and since > until:
    st.error("The start date is after the end date.")
    st.stop()
filters = InstallationFilters(
    app_ids=tuple(apps),
    states=tuple(states),
    plans=tuple(plans),
    paid=PAID_CHOICES[paid],
    account=account.strip(),
    since=since,
    until=until,
)

screen = installations_screen(filters, clock.today())
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
