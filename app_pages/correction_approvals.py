"""Corrections waiting for a second person: approve (sent to Stripe at once) or reject, with a reason."""

import streamlit as st

from dashboard.billing.corrections.kinds import KIND_LABELS
from dashboard.billing.corrections.kinds.credit_note import CREDIT_OUTCOMES
from dashboard.billing.corrections.rules import REASON_CATEGORIES
from dashboard.billing.corrections.screens import QUEUE_COLUMNS, Decision, approvals_screen
from dashboard.core import clock
from dashboard.core.settings import get_settings
from dashboard.presentation.text import count, duration, moment, money
from dashboard.ui.access import require_page
from dashboard.ui.corrections import decide_queued, outcome_banner
from dashboard.ui.forms import FieldErrors
from dashboard.ui.store import db_session
from dashboard.ui.tables import show_table
from dashboard.ui.timezones import viewer_timezone

actor = require_page("correction-approvals")
settings = get_settings()
st.title("Correction approvals")
threshold = money(settings.correction_approval_threshold_minor, settings.reporting_currency)
st.caption(
    f"Corrections above {threshold} or giving a 100% discount wait here. "
    "You cannot decide on your own requests."
)
outcome_banner(actor)

with db_session() as session:
    screen = approvals_screen(session, now=clock.now())
if not screen.queue:
    st.info("Nothing is waiting for approval.", icon=":material/done_all:")
    st.stop()

st.metric(
    "Waiting",
    count(len(screen.queue)),
    f"oldest {duration(screen.longest_wait)}",
    delta_color="off",
    delta_arrow="off",
)
show_table(screen.rows, QUEUE_COLUMNS, key="approval_queue", file_name="approval-queue.csv", width="stretch")
queue = screen.queue

if screen.stripe_missing:
    st.error(screen.stripe_missing, icon=":material/key_off:")
for row in queue:
    amount = money(row["amount"], row["currency"]) if row["amount"] is not None else "no amount"
    with st.expander(
        f"#{row['id']} · {KIND_LABELS[row['kind']]} · {row['company'] or 'no account'} · {amount} · "
        f"waiting {duration(row['waited'])}",
        expanded=len(queue) == 1,
    ):
        st.write(
            f"Requested by **{row['requested_by']}** on {moment(row['requested_at'], viewer_timezone())}. "
            f"In the reporting currency: {money(row['amount_reporting'], settings.reporting_currency)}."
        )
        st.write(
            f"Reason ({REASON_CATEGORIES.get(row['reason_category'], row['reason_category'])}): "
            f"{row['reason_text']}"
        )
        params = row["params"] or {}
        if params.get("percent_off"):
            st.write(f"Discount: **{params['percent_off']}%**")
        outcome_of = {
            "refund_amount": "refund",
            "credit_amount": "credit",
            "out_of_band_amount": "out_of_band",
        }
        for param, outcome in outcome_of.items():
            if param in (params.get("credit_note") or {}):
                st.write(f"Credit note: {CREDIT_OUTCOMES[outcome]}.")
        preview = params.get("preview") or {}
        for line in preview.get("lines", []):
            st.write(f"- {line['description']}: {money(line['amount'], row['currency'])}")
        target = row["payment_id"] or row["invoice_id"] or row["subscription_id"]
        st.caption(f"Stripe object {target}; idempotency key {row['idempotency_key']}.")
        if row["requested_by"] == actor.email:
            st.caption("You requested this correction; another account manager or admin must decide.")
            continue
        errors = FieldErrors()
        reason = st.text_input("Reason for your decision", key=f"decision_{row['id']}")
        errors.slot("decision_reason")
        errors.slot(None)
        approve_col, reject_col = st.columns(2)
        if approve_col.button(
            "Approve and execute",
            type="primary",
            key=f"approve_{row['id']}",
            icon=":material/check:",
            disabled=screen.stripe_missing is not None,
        ):
            decide_queued(actor, row, Decision.APPROVE, reason=reason, errors=errors)
        if reject_col.button("Reject", key=f"reject_{row['id']}", icon=":material/close:"):
            decide_queued(actor, row, Decision.REJECT, reason=reason, errors=errors)
