"""My accounts: the account manager's home, each account opening Account 360."""

import streamlit as st

from dashboard.accounts.my_accounts import (
    SHOW_LABELS,
    MyAccountsInputs,
    Show,
    account_owners,
    my_accounts_screen,
)
from dashboard.ui.access import require_page
from dashboard.ui.page_data import account_health, all_subscriptions, reconciliation_rows
from dashboard.ui.store import db_session
from dashboard.ui.tables import show_table
from dashboard.ui.timezones import viewer_today

actor = require_page("my-accounts")
today = viewer_today()
with db_session() as session:
    owners = account_owners(session)
st.title("My accounts")
owner_id = actor.user_id
if actor.role == "admin" and owners:  # an admin may look at anyone's book of accounts
    chosen = st.selectbox(
        "Accounts of",
        list(owners),
        index=list(owners).index(owner_id) if owner_id in owners else 0,
        format_func=owners.get,
        key="owner",
        bind="query-params",
    )
    owner_id = chosen
show = st.segmented_control(
    "Show", list(Show), format_func=SHOW_LABELS.get, default=Show.ALL, key="show", bind="query-params"
)
with db_session() as session:
    screen = my_accounts_screen(
        session,
        MyAccountsInputs(owner_id, Show(show or Show.ALL)),
        today=today,
        subscriptions=all_subscriptions(),
        reconciliation=reconciliation_rows(),
        health=account_health(today),
    )
st.caption(f"Accounts owned by {screen.owner or 'nobody'}. Choose a row to open its Account 360.")
for row in (screen.figures[:3], screen.figures[3:]):
    for column, figure in zip(st.columns(3), row, strict=True):
        column.metric(figure.label, figure.value, help=figure.help or None, border=True)
if screen.empty:
    st.info(screen.empty)
event = show_table(
    screen.rows,
    screen.columns,
    key="my_accounts",
    file_name="my-accounts.csv",
    empty="",
    on_select="rerun",
    selection_mode="single-row",
)
picked = event.selection.rows if event is not None else []
if picked:
    account_id = int(screen.rows.iloc[picked[0]]["account_id"])
    st.switch_page("app_pages/account.py", query_params={"id": str(account_id)})
