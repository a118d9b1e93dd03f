"""Subscriptions: who pays for what. Filters live in the URL; a selected row opens the account."""

import pandas as pd
import streamlit as st

from dashboard.billing.subscriptions import (
    RENEWAL_CHOICES,
    RENEWAL_WINDOWS,
    STATUS_CHOICES,
    SubscriptionFilters,
)
from dashboard.presentation.columns import csv_frame
from dashboard.presentation.text import count, money
from dashboard.ui.access import require_page
from dashboard.ui.page_data import subscriptions_view
from dashboard.ui.tables import csv_download, show_table
from dashboard.ui.url_filters import url_multiselect, url_selectbox, url_values

TABLE_ROWS = 5_000
actor = require_page("subscriptions")
st.title("Subscriptions")

with st.container(border=True):
    row1 = st.columns(4)  # at [2, 2, 2, 1] the Currency box cut its placeholder ("Choose opti")
    statuses = url_multiselect(row1[0], "Status", STATUS_CHOICES, key="status")
    row2 = st.columns([3, 1])
    search = row2[0].text_input(
        "Search", key="q", placeholder="Company, subdomain or email", max_chars=100, bind="query-params"
    )
    renews = url_selectbox(row2[1], "Renews within", RENEWAL_CHOICES, key="renews", default="any")

# The App, Plan and Currency choices come with the screen, so their widgets are drawn after it.
filters = SubscriptionFilters(
    statuses=tuple(statuses),
    app_ids=tuple(url_values("app", int)),
    plans=tuple(url_values("plan")),
    currencies=tuple(url_values("currency")),
    renews_within_days=RENEWAL_WINDOWS[renews],
    search=search.strip(),
)
screen = subscriptions_view(filters)
options = screen.options
url_multiselect(row1[1], "App", options.apps, key="app", parse=int)
url_multiselect(row1[2], "Plan", {plan: plan for plan in options.plans}, key="plan")
url_multiselect(row1[3], "Currency", {c: c.upper() for c in options.currencies}, key="currency")

reporting = screen.reporting
columns = st.columns([1, 1, 2, 1])  # the MRR tile is wide enough for eight figures and cents
columns[0].metric("Subscriptions", count(screen.total), border=True)
columns[1].metric("Paying", count(screen.paying), help="Active or past due", border=True)
columns[2].metric("MRR (filtered)", money(screen.mrr_reporting, reporting), border=True)
columns[3].metric("Past due", count(screen.past_due), border=True)

if screen.rows.empty:
    st.info("No subscriptions match these filters.")
    st.stop()
spec = screen.columns
shown = screen.rows.head(TABLE_ROWS)
if screen.total > TABLE_ROWS:
    st.caption(f"Showing the newest {TABLE_ROWS:,} of {screen.total:,} subscriptions; the CSV has them all.")
st.caption("Select a row to open its account.")
selection = show_table(
    shown,
    spec,
    key="subscriptions_table",
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
)
csv_download(lambda: csv_frame(screen.rows, spec), file_name="subscriptions.csv", key="subscriptions_csv")

picked = selection.selection.rows if selection else []
if picked:
    account_id = shown.iloc[picked[0]]["account_id"]
    if pd.notna(account_id):  # the customer is linked to an account
        st.switch_page("app_pages/account.py", query_params={"id": str(int(account_id))})
    st.warning("This subscription's Stripe customer is not linked to an account yet.")
