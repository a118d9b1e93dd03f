"""Reconciliation: installations against Stripe subscriptions, with the monthly revenue at stake."""

import streamlit as st

from dashboard.money import format_money
from dashboard.reconciliation import CATEGORIES, DESCRIPTIONS
from dashboard.revenue.fx import reporting_currency
from dashboard.ui.access import require_page
from dashboard.ui.installations_data import reconciliation_frame
from dashboard.ui.tables import csv_download

actor = require_page("reconciliation")
reporting = reporting_currency()
st.title("Reconciliation")
st.caption(
    "Where Zendesk installations and Stripe subscriptions disagree. Disabling an app does not cancel "
    f"its subscription; only uninstalling does. Amounts are monthly, in {reporting.upper()}."
)

frame = reconciliation_frame()
columns = st.columns(len(CATEGORIES))
for column, (key, label) in zip(columns, CATEGORIES.items(), strict=True):
    rows = frame[frame["category"] == key]
    at_stake = format_money(int(rows["at_stake_minor"].fillna(0).sum()), reporting)
    column.metric(
        label,
        f"{len(rows):,}",
        f"{at_stake} at stake",
        delta_color="off",
        delta_arrow="off",
        help=DESCRIPTIONS[key],
        border=True,
    )

chosen = st.multiselect(
    "Categories",
    list(CATEGORIES),
    format_func=CATEGORIES.get,
    key="category",
    placeholder="All categories",
    bind="query-params",
)
shown = frame[frame["category"].isin(chosen)] if chosen else frame

st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    column_order=[
        "category_label",
        "company_name",
        "account_link",
        "app_name",
        "installation_state",
        "seats",
        "subscription_id",
        "subscription_status",
        "quantity",
        "at_stake",
        "detail",
    ],
    column_config={
        "category_label": st.column_config.TextColumn("Category"),
        "company_name": st.column_config.TextColumn("Company"),
        "account_link": st.column_config.LinkColumn("Account", display_text=":material/open_in_new:"),
        "app_name": st.column_config.TextColumn("App"),
        "installation_state": st.column_config.TextColumn("Installation"),
        "seats": st.column_config.NumberColumn("Seats", format="%d"),
        "subscription_id": st.column_config.TextColumn("Subscription"),
        "subscription_status": st.column_config.TextColumn("Status"),
        "quantity": st.column_config.NumberColumn("Billed seats", format="%d"),
        "at_stake": st.column_config.NumberColumn(
            f"At stake / month ({reporting.upper()})",
            format="%.2f",
            help="Blank: no exchange rate, or nothing to estimate",
        ),
        "detail": st.column_config.TextColumn("Why"),
    },
)
csv_download(
    lambda: shown.drop(columns=["account_link", "at_stake"]),
    file_name="reconciliation.csv",
    key="reconciliation_csv",
)
