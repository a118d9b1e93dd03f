"""Failed payments: past-due and unpaid subscriptions, open invoices with their retries, the amount at
risk by age, what was recovered this month, cards expiring before renewal, and subscriptions that were
not left past due (Zendesk's Marketplace set-up). Every row links to Account 360 and the corrections form."""

import pandas as pd
import streamlit as st

from dashboard.billing.revenue import MissingFxRate, charts, reporting_currency
from dashboard.billing.revenue.failed_payments import (
    BEHIND_COLUMNS,
    CARD_COLUMNS,
    FLAGGED_COLUMNS,
    OPEN_INVOICE_COLUMNS,
    behind_rows,
    card_rows,
    failed_payments_screen,
    flagged_rows,
    open_invoice_rows,
)
from dashboard.core import clock
from dashboard.presentation.text import count, money
from dashboard.ui.access import require_page
from dashboard.ui.cache_groups import Group, loader
from dashboard.ui.tables import show_table

failed_payments_view = loader(
    failed_payments_screen, Group.STRIPE, ttl=300, show_spinner="Loading failed payments…"
)


actor = require_page("failed-payments")
st.title("Failed payments")
reporting = reporting_currency()
try:
    screen = failed_payments_view(today=clock.today())
except MissingFxRate as error:
    st.error(error.message)
    st.stop()

if screen.flagged:
    st.warning(
        f"{len(screen.flagged)} subscriptions were not left past due after failed payments. Zendesk's "
        "Marketplace set-up expects Stripe's retry setting “leave the subscription past-due”; check the "
        "Billing settings in Stripe and these accounts.",
        icon=":material/flag:",
    )

columns = st.columns(4)
columns[0].metric("Past due or unpaid", count(len(screen.behind)), border=True)
columns[1].metric("Open invoices", count(len(screen.open_invoices)), border=True)
columns[2].metric("At risk", money(screen.at_risk_total, reporting), border=True)
columns[3].metric(
    "Recovered this month",
    money(screen.recovered_amount, reporting),
    help=f"{screen.recovered_count} invoices paid this month after more than one attempt",
    border=True,
)

st.plotly_chart(charts.at_risk_by_age(screen.at_risk, reporting), width="stretch")
st.caption("Open invoices' amount remaining at today's rates; age from the due date (else the invoice date).")


def follow_up(frame: pd.DataFrame, selection) -> None:
    """Links for the row picked in a table: Account 360 and the corrections form."""
    rows = selection.selection.rows if selection is not None else []
    if not rows:
        st.caption("Pick a row to open its account.")
        return
    row = frame.iloc[rows[0]]
    if pd.isna(row["account_id"]):
        st.caption(f"{row['company']} is not linked to an account yet.")
        return
    account_id = str(int(row["account_id"]))
    left, right = st.columns(2)
    left.page_link(
        "app_pages/account.py",
        label=f"Open {row['company']} in Account 360",
        icon=":material/person:",
        query_params={"id": account_id},
    )
    right.page_link(
        "app_pages/corrections.py",
        label="Correct its billing",
        icon=":material/edit:",
        query_params={"account": account_id},
    )


TABLES = (
    ("Open invoices", open_invoice_rows, OPEN_INVOICE_COLUMNS, "open_invoices", "No open invoices."),
    (
        "Past-due and unpaid subscriptions",
        behind_rows,
        BEHIND_COLUMNS,
        "past_due_subscriptions",
        "No subscription is past due or unpaid.",
    ),
    (
        "Cards expiring before the next renewal",
        card_rows,
        CARD_COLUMNS,
        "expiring_cards",
        "No card on file expires before its subscription renews.",
    ),
    (
        "Not left past due",
        flagged_rows,
        FLAGGED_COLUMNS,
        "not_left_past_due",
        "Every subscription with failed payments was left past due.",
    ),
)
for title, rows_of, spec, key, empty in TABLES:
    st.subheader(title)
    frame = rows_of(screen)
    selection = show_table(
        frame,
        spec,
        key=key,
        file_name=f"{key.replace('_', '-')}.csv",
        empty=empty,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
    )
    if not frame.empty:
        follow_up(frame, selection)
