"""Reconciliation: installations against Stripe subscriptions, with the monthly revenue at stake."""

import streamlit as st

from dashboard.billing.reconciliation import CATEGORIES, DESCRIPTIONS
from dashboard.presentation.text import count, money
from dashboard.ui.access import require_page
from dashboard.ui.page_data import reconciliation_view
from dashboard.ui.tables import show_table
from dashboard.ui.url_filters import url_multiselect

actor = require_page("reconciliation")
st.title("Reconciliation")
caption = st.empty()  # it names the screen's reporting currency

chosen = url_multiselect(st, "Categories", CATEGORIES, key="category", placeholder="All categories")
screen = reconciliation_view(tuple(chosen))
reporting = screen.reporting
caption.caption(
    "Where Zendesk installations and Stripe subscriptions disagree. Disabling an app does not cancel "
    f"its subscription; only uninstalling does. Amounts are monthly, in {reporting.upper()}."
)
# Three tiles a row: five in one row cut their labels short at 1400 px ("Unpaid or incomplete").
TILES_PER_ROW = 3
categories = list(CATEGORIES.items())
for row_start in range(0, len(categories), TILES_PER_ROW):
    row = categories[row_start : row_start + TILES_PER_ROW]
    for column, (key, label) in zip(st.columns(TILES_PER_ROW), row, strict=False):
        rows, at_stake = screen.totals[key]
        column.metric(
            label,
            count(rows),
            f"{money(at_stake, reporting)} at stake",
            delta_color="off",
            delta_arrow="off",
            help=DESCRIPTIONS[key],
            border=True,
        )
show_table(
    screen.rows,
    screen.columns,
    key="reconciliation_table",
    file_name="reconciliation.csv",
    empty="Nothing to reconcile.",
    width="stretch",
)
