"""Subscriptions: who pays for what. Filters live in the URL; a selected row opens the account."""

import pandas as pd
import streamlit as st

from dashboard.subscriptions import STATUSES, SubscriptionFilters
from dashboard.ui.access import require_page
from dashboard.ui.stripe_data import money_format, subscription_frame, subscription_options
from dashboard.ui.tables import csv_download
from dashboard.ui.timezones import frame_to_viewer

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

frame = frame_to_viewer(
    subscription_frame(filters).copy(), "created", "trial_end", "current_period_end", "canceled_at"
)
paying = frame[frame["status"].isin(["active", "past_due"])]
columns = st.columns(4)
columns[0].metric("Subscriptions", f"{len(frame):,}")
columns[1].metric("Paying", f"{len(paying):,}")
columns[2].metric("MRR (filtered)", money_format() % paying["mrr_major"].sum())
columns[3].metric("Past due", f"{int((frame['status'] == 'past_due').sum()):,}")

if frame.empty:
    st.info("No subscriptions match these filters.")
    st.stop()
shown = frame.head(TABLE_ROWS)
if len(frame) > TABLE_ROWS:
    st.caption(f"Showing the newest {TABLE_ROWS:,} of {len(frame):,} subscriptions; the CSV has them all.")
st.caption("Past-due subscriptions are marked 🔴. Select a row to open its account.")
selection = st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    key="subscriptions_table",
    on_select="rerun",
    selection_mode="single-row",
    column_order=[
        "company",
        "account_link",
        "subdomain",
        "email",
        "app",
        "plan",
        "seats",
        "status_label",
        "currency",
        "mrr_native",
        "mrr_major",
        "current_period_end",
        "trial_end",
        "created",
        "id",
    ],
    column_config={
        "company": st.column_config.TextColumn("Company"),
        "account_link": st.column_config.LinkColumn("Account", display_text=":material/open_in_new:"),
        "subdomain": st.column_config.TextColumn("Subdomain"),
        "email": st.column_config.TextColumn("Billing email"),
        "app": st.column_config.TextColumn("App"),
        "plan": st.column_config.TextColumn("Plan"),
        "seats": st.column_config.NumberColumn("Seats", format="%d"),
        "status_label": st.column_config.TextColumn("Status"),
        "currency": st.column_config.TextColumn("Currency"),
        "mrr_native": st.column_config.NumberColumn(
            "MRR", format="%.2f", help="In the subscription's own currency"
        ),
        "mrr_major": st.column_config.NumberColumn("MRR (reporting)", format=money_format()),
        "current_period_end": st.column_config.DatetimeColumn("Renews", format="YYYY-MM-DD"),
        "trial_end": st.column_config.DatetimeColumn("Trial ends", format="YYYY-MM-DD"),
        "created": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD"),
        "id": st.column_config.TextColumn("Stripe id"),
    },
)
export = frame.drop(columns=["account_link", "status_label", "mrr", "mrr_reporting"])
csv_download(lambda: export, file_name="subscriptions.csv", key="subscriptions_csv")  # built on click

picked = selection.selection.rows if selection else []
if picked:
    account_id = shown.iloc[picked[0]]["account_id"]
    if pd.notna(account_id):  # the customer is linked to an account
        st.switch_page("app_pages/account.py", query_params={"id": str(int(account_id))})
    st.warning("This subscription's Stripe customer is not linked to an account yet.")
