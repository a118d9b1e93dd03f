"""Every billing correction, filtered by what the URL says (so a filtered view can be shared), with CSV."""

import pandas as pd
import streamlit as st

from dashboard.billing.corrections.history import HistoryFilters, list_corrections
from dashboard.billing.corrections.kinds import KIND_LABELS
from dashboard.billing.corrections.rules import REASON_CATEGORIES, STATUS_LABELS
from dashboard.core.ids import parse_id
from dashboard.core.money import format_money
from dashboard.ui.access import require_page
from dashboard.ui.corrections import check_now_button, outcome_banner, retry, stripe_gateway
from dashboard.ui.forms import FieldErrors
from dashboard.ui.store import db_session
from dashboard.ui.stripe_data import major, money_format
from dashboard.ui.tables import csv_download
from dashboard.ui.timezones import frame_to_viewer
from models.billing import CorrectionStatus

actor = require_page("correction-history")
st.title("Corrections history")
outcome_banner(actor)

cols = st.columns([2, 2, 1, 2, 1, 1])
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
with db_session() as session:
    rows = list_corrections(session, filters=filters)
frame = pd.DataFrame(
    rows,
    columns=[
        "id",
        "requested_at",
        "kind",
        "status",
        "company",
        "account_id",
        "amount",
        "currency",
        "amount_reporting",
        "reason_category",
        "reason_text",
        "requested_by",
        "decided_by",
        "decision_reason",
        "executed_at",
        "attempts",
        "stripe_result_id",
        "error_message",
    ],
)
frame["amount_text"] = [
    format_money(a, c) if pd.notna(a) else "" for a, c in zip(frame["amount"], frame["currency"], strict=True)
]
frame["amount_reporting_major"] = [major(int(a)) if pd.notna(a) else None for a in frame["amount_reporting"]]
frame["account_link"] = [f"/account?id={int(a)}" if pd.notna(a) else None for a in frame["account_id"]]
frame["kind"] = frame["kind"].map(KIND_LABELS)
frame["status"] = frame["status"].map(STATUS_LABELS)
frame["reason_category"] = frame["reason_category"].map(lambda c: REASON_CATEGORIES.get(c, c))
frame = frame_to_viewer(frame, "requested_at", "executed_at")
st.caption(f"{len(frame):,} corrections.")
st.dataframe(
    frame,
    hide_index=True,
    width="stretch",
    column_order=[
        "id",
        "requested_at",
        "kind",
        "status",
        "company",
        "account_link",
        "amount_text",
        "amount_reporting_major",
        "reason_category",
        "reason_text",
        "requested_by",
        "decided_by",
        "executed_at",
        "attempts",
        "stripe_result_id",
        "error_message",
    ],
    column_config={
        "id": st.column_config.NumberColumn("#", format="%d"),
        "requested_at": st.column_config.DatetimeColumn("Requested", format="YYYY-MM-DD HH:mm"),
        "executed_at": st.column_config.DatetimeColumn("Executed", format="YYYY-MM-DD HH:mm"),
        "kind": "Kind",
        "status": "Status",
        "company": "Company",
        "account_link": st.column_config.LinkColumn("Account", display_text=":material/open_in_new:"),
        "amount_text": "Amount",
        "amount_reporting_major": st.column_config.NumberColumn(
            "In reporting currency", format=money_format()
        ),
        "reason_category": "Reason",
        "reason_text": "Details",
        "requested_by": "Requested by",
        "decided_by": "Decided by",
        "attempts": st.column_config.NumberColumn("Attempts", format="%d"),
        "stripe_result_id": "Stripe id",
        "error_message": "Error",
    },
)
csv_download(
    frame.drop(columns=["account_link", "amount_reporting_major"]),
    file_name="billing-corrections.csv",
    key="corrections_csv",
)

unsettled = [row for row in rows if row["status"] in (CorrectionStatus.UNKNOWN, CorrectionStatus.SENDING)]
if unsettled:
    st.subheader("Checking with Stripe")
for row in unsettled:
    with st.container(border=True):
        st.warning(
            f"#{row['id']} · {KIND_LABELS[row['kind']]} · "
            f"{format_money(row['amount'], row['currency'] or 'usd')} · {STATUS_LABELS[row['status']]}. "
            f"Checking with Stripe… {row['error_message'] or ''}",
            icon=":material/help:",
        )
        check_now_button(actor, row["id"], key=f"check_{row['id']}")

failed = [
    int(i)
    for i, s in zip(frame["id"], frame["status"], strict=True)
    if s == STATUS_LABELS[CorrectionStatus.FAILED]
]
if failed:
    st.subheader("Retry a failed correction")
    errors = FieldErrors()
    chosen = st.selectbox("Failed correction", failed, format_func=lambda i: f"#{i}", key="retry_id")
    errors.slot("retry")
    gateway = stripe_gateway()
    if st.button("Retry", icon=":material/replay:", disabled=gateway is None, key="retry_button"):
        retry(actor, gateway, chosen, errors)
