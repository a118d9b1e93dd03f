"""Failed payments: past-due and unpaid subscriptions, open invoices with their retries, the amount at
risk by age, what was recovered this month, cards expiring before renewal, and subscriptions that were
not left past due (Zendesk's Marketplace set-up). Every row links to Account 360 and the corrections form."""

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import clock
from dashboard.money import format_money
from dashboard.revenue import MissingFxRate, reporting_currency
from dashboard.revenue.failed_payments import failed_payments_screen
from dashboard.ui.access import require_page
from dashboard.ui.store import db_session
from dashboard.ui.stripe_data import major
from dashboard.ui.tables import csv_download
from dashboard.ui.timezones import frame_to_viewer

actor = require_page("failed-payments")
st.title("Failed payments")
today = clock.today()
reporting = reporting_currency()
try:
    with db_session() as session:
        screen = failed_payments_screen(session, today=today)
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
columns[0].metric("Past due or unpaid", f"{len(screen.behind):,}")
columns[1].metric("Open invoices", f"{len(screen.open_invoices):,}")
columns[2].metric("At risk", format_money(screen.at_risk_total, reporting))
columns[3].metric(
    "Recovered this month",
    format_money(screen.recovered_amount, reporting),
    help=f"{screen.recovered_count} invoices paid this month after more than one attempt",
)

LINKS = {
    "account": st.column_config.LinkColumn("Account 360", display_text="open"),
    "correct": st.column_config.LinkColumn("Correction", display_text="correct"),
}


def _link_columns(link) -> dict:
    return {"company": link.company, "account": link.account_url, "correct": link.corrections_url}


st.subheader("Amount at risk by age")
risk = pd.DataFrame(
    [{"age": age, "amount": major(amount)} for age, amount in screen.at_risk.items()],
    columns=["age", "amount"],
)
chart = px.bar(
    risk, x="age", y="amount", labels={"age": "Open for", "amount": f"At risk ({reporting.upper()})"}
)
chart.update_traces(hovertemplate="%{x}: %{y:,.2f}<extra></extra>")
st.plotly_chart(chart, width="stretch")
st.caption("Open invoices' amount remaining at today's rates; age from the due date (else the invoice date).")

st.subheader("Open invoices")
invoices = pd.DataFrame(
    [
        {
            **_link_columns(r.link),
            "invoice": r.number or r.invoice_id,
            "amount": major(r.amount_remaining, r.currency),
            "currency": r.currency.upper(),
            "attempts": r.attempt_count,
            "next_retry": r.next_payment_attempt,
            "age_days": r.age_days,
            "age": r.age_bucket,
        }
        for r in screen.open_invoices
    ]
)
if invoices.empty:
    st.info("No open invoices.")
else:
    st.dataframe(
        frame_to_viewer(invoices, "next_retry"),
        hide_index=True,
        width="stretch",
        column_config={
            **LINKS,
            "next_retry": st.column_config.DatetimeColumn("Next retry", format="YYYY-MM-DD HH:mm"),
            "amount": st.column_config.NumberColumn("Amount remaining", format="%.2f"),
        },
    )
    csv_download(invoices, file_name="open-invoices.csv", key="open_invoices_csv")

st.subheader("Past-due and unpaid subscriptions")
behind = pd.DataFrame(
    [
        {
            **_link_columns(b.link),
            "subscription": b.subscription_id,
            "status": b.status.replace("_", " "),
            "mrr": major(b.mrr, b.currency),
            "currency": b.currency.upper(),
            "period_end": b.current_period_end,
        }
        for b in screen.behind
    ]
)
if behind.empty:
    st.info("No subscription is past due or unpaid.")
else:
    st.dataframe(
        frame_to_viewer(behind, "period_end"),
        hide_index=True,
        width="stretch",
        column_config={
            **LINKS,
            "period_end": st.column_config.DatetimeColumn("Period ends", format="YYYY-MM-DD"),
        },
    )
    csv_download(behind, file_name="past-due-subscriptions.csv", key="behind_csv")

st.subheader("Cards expiring before the next renewal")
cards = pd.DataFrame(
    [
        {
            **_link_columns(c.link),
            "subscription": c.subscription_id,
            "card": c.card,
            "expires_on": c.expires_on,
            "renews_on": c.renews_on,
        }
        for c in screen.expiring_cards
    ]
)
if cards.empty:
    st.info("No card on file expires before its subscription renews.")
else:
    st.dataframe(cards, hide_index=True, width="stretch", column_config=LINKS)
    csv_download(cards, file_name="expiring-cards.csv", key="cards_csv")

st.subheader("Not left past due")
flagged = pd.DataFrame(
    [
        {
            **_link_columns(f.link),
            "subscription": f.subscription_id,
            "status": f.status,
            "reason": str(f.reason),
        }
        for f in screen.flagged
    ]
)
if flagged.empty:
    st.success("Every subscription with failed payments was left past due.")
else:
    st.dataframe(flagged, hide_index=True, width="stretch", column_config=LINKS)
    csv_download(flagged, file_name="not-left-past-due.csv", key="flagged_csv")
