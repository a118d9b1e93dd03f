"""Every billing correction, filtered by what the URL says (so a filtered view can be shared), with CSV."""

import streamlit as st

from dashboard.billing.corrections.history import HistoryFilters
from dashboard.billing.corrections.kinds import KIND_LABELS
from dashboard.billing.corrections.rules import STATUS_LABELS
from dashboard.core.ids import parse_id
from dashboard.presentation.text import count, money
from dashboard.ui.access import require_page
from dashboard.ui.corrections import check_now_button, history_view, outcome_banner, retry
from dashboard.ui.forms import FieldErrors
from dashboard.ui.tables import show_table

actor = require_page("correction-history")
st.title("Corrections history")
outcome_banner(actor)

cols = st.columns([2, 2, 1, 2, 1.5, 1.5])  # the dates need room for "YYYY/MM/DD"
statuses = cols[0].multiselect(
    "Status",
    list(STATUS_LABELS),
    format_func=STATUS_LABELS.get,
    key="status",
    placeholder="All",
    bind="query-params",
)
kinds = cols[1].multiselect(
    "Kind", list(KIND_LABELS), format_func=KIND_LABELS.get, key="kind", placeholder="All", bind="query-params"
)
account = cols[2].text_input("Account id", key="account", max_chars=12, bind="query-params")
requested_by = cols[3].text_input(
    "Requested by", key="by", placeholder="email contains", max_chars=320, bind="query-params"
)
since = cols[4].date_input("From", key="since", value=None, bind="query-params")
until = cols[5].date_input("To", key="until", value=None, bind="query-params")
if account and parse_id(account) is None:
    st.error("No such account.")
    st.stop()

filters = HistoryFilters(
    statuses=tuple(statuses),
    kinds=tuple(kinds),
    account_id=parse_id(account),
    requested_by=requested_by,
    since=since,
    until=until,
)
screen = history_view(filters)
st.caption(f"{count(len(screen.rows))} corrections.")
show_table(
    screen.rows,
    screen.columns,
    key="corrections",
    file_name="billing-corrections.csv",
    empty="No corrections match these filters.",
    width="stretch",
)

if screen.unsettled:
    st.subheader("Checking with Stripe")
for row in screen.unsettled:
    with st.container(border=True):
        st.warning(
            f"#{row['id']} · {KIND_LABELS[row['kind']]} · {money(row['amount'], row['currency'])} · "
            f"{STATUS_LABELS[row['status']]}. Checking with Stripe… {row['error_message'] or ''}",
            icon=":material/help:",
        )
        check_now_button(actor, row["id"], key=f"check_{row['id']}")

if screen.failed:
    st.subheader("Retry a failed correction")
    errors = FieldErrors()
    chosen = st.selectbox("Failed correction", screen.failed, format_func=lambda i: f"#{i}", key="retry_id")
    errors.slot("retry")
    if screen.stripe_missing:
        st.error(screen.stripe_missing, icon=":material/key_off:")
    if st.button("Retry", icon=":material/replay:", disabled=bool(screen.stripe_missing), key="retry_button"):
        retry(actor, chosen, errors)
