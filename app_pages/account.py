"""Account 360: one customer account across Zendesk, Stripe, usage, privacy and the audit log.

Opened as ?id=<account id> from any table row; without an id, pick an account.
"""

import pandas as pd
import streamlit as st

from dashboard.ids import parse_id
from dashboard.masking import should_mask
from dashboard.ui.access import require_page
from dashboard.ui.stripe_data import account_choices, account_view, major, money_format, money_frame
from dashboard.ui.tables import csv_download
from dashboard.ui.timezones import frame_to_viewer

actor = require_page("account")
masked = should_mask(actor.role)


def pick_account() -> None:
    search = st.text_input("Find an account", placeholder="Company name or subdomain", key="account_search")
    choices = account_choices(search)
    if not choices:
        st.info("No account matches.")
        return
    chosen = st.selectbox(
        "Account", choices, format_func=lambda c: f"{c.company_name} ({c.zendesk_subdomain})"
    )
    if st.button("Open account", type="primary"):
        st.query_params["id"] = str(chosen.id)
        st.rerun()


def dates(*names: str) -> dict:
    return {
        n: st.column_config.DatetimeColumn(n.replace("_", " ").capitalize(), format="YYYY-MM-DD HH:mm")
        for n in names
    }


def amount(label: str) -> st.column_config.NumberColumn:
    return st.column_config.NumberColumn(label, format="%.2f")


def section(
    title: str, frame: pd.DataFrame, name: str, config: dict | None = None, order: list[str] | None = None
) -> None:
    st.subheader(title)
    if frame.empty:
        st.caption("Nothing recorded.")
        return
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config=config,
        column_order=[c for c in order if c in frame] if order else None,
    )
    csv_download(frame, file_name=f"account-{account_id}-{name}.csv", key=f"csv_{name}")


raw_id = st.query_params.get("id", "")
account_id = parse_id(raw_id)
if account_id is None:
    st.title("Account")
    if raw_id:
        st.error("No such account.")
    pick_account()
    st.stop()
view = account_view(account_id, masked)
if view is None:
    st.title("Account")
    st.error(f"There is no account with id {account_id}.")
    pick_account()
    st.stop()

account = view.account
st.title(account["company_name"])
st.caption(
    f"{account['zendesk_subdomain']}.zendesk.com · {account['country'] or 'country unknown'} · "
    f"owner {account['owner'] or 'none'}" + (" · personal data masked" if masked else "")
)
subscriptions = pd.DataFrame(view.subscriptions)
paying = (
    subscriptions[subscriptions["status"].isin(["active", "past_due"])] if not subscriptions.empty else None
)
metrics = st.columns(4)
metrics[0].metric(
    "MRR", money_format() % major(int(paying["mrr_reporting"].sum()) if paying is not None else 0)
)
metrics[1].metric("Paying subscriptions", 0 if paying is None else len(paying))
metrics[2].metric("Installations", len(view.installations))
metrics[3].metric("Open invoices", sum(1 for i in view.invoices if i["status"] == "open"))


section(
    "Contacts",
    frame_to_viewer(pd.DataFrame(view.contacts), "created_at"),
    "contacts",
    {**dates("created_at"), "is_primary": st.column_config.CheckboxColumn("Primary")},
    ["name", "email", "phone", "job_title", "is_primary", "marketing_opt_out", "created_at"],
)
section(
    "Installations",
    frame_to_viewer(pd.DataFrame(view.installations), "installed_at", "uninstalled_at", "last_seen_at"),
    "installations",
    dates("installed_at", "uninstalled_at", "last_seen_at"),
    [
        "app",
        "state",
        "plan_name",
        "paid",
        "seats",
        "stripe_subscription_id",
        "installed_at",
        "uninstalled_at",
        "last_seen_at",
        "source",
    ],
)
section(
    "Stripe customers",
    money_frame(view.customers, ("balance",), ("created",)) if view.customers else pd.DataFrame(),
    "stripe_customers",
    {
        "balance": amount("Balance"),
        "delinquent": st.column_config.CheckboxColumn("Delinquent"),
        **dates("created"),
    },
    ["id", "name", "email", "currency", "balance", "delinquent", "deleted", "created"],
)
section(
    "Subscriptions",
    money_frame(view.subscriptions, ("mrr",), ("created", "current_period_end", "trial_end", "canceled_at")),
    "subscriptions",
    {"mrr": st.column_config.NumberColumn("MRR", format="%.2f"), **dates("current_period_end", "created")},
    [
        "id",
        "app",
        "plan",
        "seats",
        "status",
        "currency",
        "mrr",
        "current_period_end",
        "cancel_at_period_end",
        "created",
        "email",
    ],
)
section(
    "Invoices",
    money_frame(view.invoices, ("total", "amount_paid", "amount_remaining"), ("created", "paid_at")),
    "invoices",
    {
        "total": amount("Total"),
        "amount_paid": amount("Paid"),
        "amount_remaining": amount("Due"),
        **dates("created", "paid_at"),
    },
    [
        "number",
        "status",
        "currency",
        "total",
        "amount_paid",
        "amount_remaining",
        "created",
        "paid_at",
        "subscription_id",
        "id",
    ],
)
section(
    "Payments",
    money_frame(view.payments, ("amount", "amount_refunded"), ("created",)),
    "payments",
    {"amount": amount("Amount"), "amount_refunded": amount("Refunded"), **dates("created")},
    [
        "created",
        "status",
        "currency",
        "amount",
        "amount_refunded",
        "card_brand",
        "card_last4",
        "invoice_id",
        "id",
    ],
)
section(
    "Refunds",
    money_frame(view.refunds, ("amount",), ("created",)),
    "refunds",
    {"amount": amount("Amount"), **dates("created")},
    ["created", "status", "currency", "amount", "reason", "charge_id", "id"],
)
section(
    "Credit notes",
    money_frame(view.credit_notes, ("amount",), ("created",)),
    "credit_notes",
    {"amount": amount("Amount"), **dates("created")},
    ["number", "created", "status", "currency", "amount", "reason", "memo", "invoice_id", "refund_id"],
)
section("Usage (last 30 days)", pd.DataFrame(view.usage), "usage")
section(
    "Privacy requests",
    pd.DataFrame(view.privacy_requests),
    "privacy_requests",
    {"received_on": st.column_config.DateColumn("Received"), "due_on": st.column_config.DateColumn("Due")},
    ["id", "type", "status", "subject_name", "subject_email", "received_on", "due_on", "jurisdiction"],
)
section(
    "Billing corrections",
    money_frame(view.billing_corrections, ("amount",), ("requested_at", "executed_at"))
    if view.billing_corrections
    else pd.DataFrame(),
    "billing_corrections",
    {"amount": amount("Amount"), **dates("requested_at", "executed_at")},
    [
        "id",
        "kind",
        "status",
        "currency",
        "amount",
        "reason_category",
        "requested_by",
        "requested_at",
        "executed_at",
    ],
)
section(
    "Audit trail",
    frame_to_viewer(pd.DataFrame(view.audit), "at"),
    "audit",
    dates("at"),
    ["at", "actor", "action", "target_type", "target_id", "details"],
)
