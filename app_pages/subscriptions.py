"""Subscriptions: who pays for what. Filters live in the URL; a selected row opens the account."""

import pandas as pd
import streamlit as st

from dashboard.billing.revenue.fx import reporting_currency
from dashboard.billing.subscriptions import STATUSES, SubscriptionFilters, subscription_columns
from dashboard.presentation.columns import csv_frame
from dashboard.presentation.text import count, money
from dashboard.ui.access import require_page
from dashboard.ui.stripe_data import subscription_options, subscriptions_view
from dashboard.ui.tables import csv_download, show_table

TABLE_ROWS = 5_000
RENEWAL_WINDOWS = {"any": None, "7": 7, "30": 30, "90": 90}

actor = require_page("subscriptions")
st.title("Subscriptions")
options = subscription_options()

with st.container(border=True):
    row1 = st.columns([2, 2, 2, 1])
    statuses = row1[0].multiselect("Status", STATUSES, key="status", bind="query-params")
    apps = row1[1].multiselect(
        "App", list(options.apps), format_func=options.apps.get, key="app", bind="query-params"
    )
    plans = row1[2].multiselect("Plan", options.plans, key="plan", bind="query-params")
    currencies = row1[3].multiselect(
        "Currency", options.currencies, format_func=str.upper, key="currency", bind="query-params"
    )
    row2 = st.columns([3, 1])
    search = row2[0].text_input(
        "Search", key="q", placeholder="Company, subdomain or email", max_chars=100, bind="query-params"
    )
    renews = row2[1].selectbox(
        "Renews within",
        list(RENEWAL_WINDOWS),
        key="renews",
        bind="query-params",
        format_func=lambda v: "any time" if v == "any" else f"{v} days",
    )

filters = SubscriptionFilters(
    statuses=tuple(statuses),
    app_ids=tuple(apps),
    plans=tuple(plans),
    currencies=tuple(currencies),
    renews_within_days=RENEWAL_WINDOWS[renews],
    search=search.strip(),
)

screen = subscriptions_view(filters)
reporting = reporting_currency()
columns = st.columns(4)
columns[0].metric("Subscriptions", count(screen.total), border=True)
columns[1].metric("Paying", count(screen.paying), help="Active or past due", border=True)
columns[2].metric("MRR (filtered)", money(screen.mrr_reporting, reporting), border=True)
columns[3].metric("Past due", count(screen.past_due), border=True)

if screen.rows.empty:
    st.info("No subscriptions match these filters.")
    st.stop()
spec = subscription_columns(reporting)
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
