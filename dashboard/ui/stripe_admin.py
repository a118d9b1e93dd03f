"""The "Stripe" tab of the Sync page: sync now (with progress), recent Stripe runs, unlinked customers,
and the exchange-rate table used for the reporting currency."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from sqlmodel import select

from dashboard.access.identity import Actor
from dashboard.billing.revenue.fx import (
    import_fx_csv,
    list_fx_rates,
    month_rates_status,
    reporting_currency,
    set_fx_rate,
)
from dashboard.billing.revenue.metrics import months_between
from dashboard.billing.stripe_gateway import StripeGateway, StripeGatewayError
from dashboard.billing.stripe_sync import run_stripe_sync, unlinked_customers
from dashboard.core import clock, sync_runs
from dashboard.core.jobs import JobLocked
from dashboard.ui.forms import FieldErrors
from dashboard.ui.store import db_session, get_engine
from dashboard.ui.stripe_data import clear_stripe_caches
from dashboard.ui.tables import csv_download
from dashboard.ui.timezones import frame_to_viewer
from models import StripeSubscription


def show_stripe_settings(actor: Actor) -> None:
    _sync_now(actor)
    _recent_runs()
    _unlinked()
    _fx_rates(actor)


def _sync_now(actor: Actor) -> None:
    st.subheader("Sync from Stripe")
    full = st.checkbox("Full sync (list everything instead of reading recent events)", key="stripe_full")
    if not st.button("Sync now", type="primary", icon=":material/sync:", key="stripe_sync_now"):
        return
    try:
        gateway = StripeGateway.from_settings()
    except StripeGatewayError as error:
        st.error(error.message)
        return
    with st.status("Syncing from Stripe…", expanded=True) as status:
        bar = st.progress(0.0)

        def report(message: str, fraction: float) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=message)

        try:
            result = run_stripe_sync(get_engine(), gateway, full=full, actor=actor, progress=report)
        except JobLocked as error:
            status.update(label="Another Stripe sync is running", state="error")
            st.error(str(error))
            return
        if result.message:
            st.write(result.message)
        if result.status == "succeeded":
            status.update(label=f"Stripe sync run {result.run_id} succeeded", state="complete")
        else:
            status.update(label=f"Stripe sync run {result.run_id} failed", state="error")
            st.error(result.error)
    clear_stripe_caches()
    if result.status == "succeeded":
        changes = sum(c["created"] + c["updated"] + c["deleted"] for c in result.counts.values())
        st.toast(f"Stripe sync done: {changes:,} changes.", icon=":material/check:")


def _recent_runs() -> None:
    st.subheader("Recent Stripe runs")
    with db_session() as session:
        rows = [
            r
            for kind in ("stripe_full", "stripe_incremental")
            for r in sync_runs.recent_runs(session, kind=kind, limit=20)
        ]
    if not rows:
        st.caption("No Stripe sync has run yet.")
        return
    frame = frame_to_viewer(
        pd.DataFrame(rows).sort_values("started_at", ascending=False), "started_at", "finished_at"
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_order=[
            "started_at",
            "kind",
            "status",
            "duration_s",
            "triggered_by",
            "counts",
            "message",
            "error",
        ],
        column_config={
            "started_at": st.column_config.DatetimeColumn("Started", format="YYYY-MM-DD HH:mm"),
            "duration_s": st.column_config.NumberColumn("Seconds", format="%.1f"),
        },
    )
    csv_download(frame, file_name="stripe-sync-runs.csv", key="stripe_runs_csv")


def _unlinked() -> None:
    st.subheader("Customers not linked to an account")
    with db_session() as session:
        rows = unlinked_customers(session)
    if not rows:
        st.caption("Every Stripe customer is linked to an account.")
        return
    st.caption(
        "Linked by the `zendesk_subdomain` metadata key, else by a contact's email, else by an "
        "installation's subscription id. Fix the data in Stripe or the console, then sync again."
    )
    frame = pd.DataFrame([r.__dict__ for r in rows])
    st.dataframe(frame, hide_index=True, width="stretch")
    csv_download(frame, file_name="unlinked-stripe-customers.csv", key="unlinked_csv")


def _fx_rates(actor: Actor) -> None:
    reporting = reporting_currency().upper()
    today = clock.today()
    st.subheader(f"Exchange rates to {reporting}")
    st.caption(
        "One rate per currency and day. A closed month uses its month-end rate (the last rate dated in "
        "that month); the open month uses the latest rate. A month without a rate shows no figures."
    )
    errors = FieldErrors()
    with st.form("fx_rate", clear_on_submit=False):
        left, middle, right = st.columns(3)
        with left:
            currency = st.text_input("Currency", max_chars=3, placeholder="EUR")
            errors.slot("currency")
        with middle:
            day = st.date_input("Day", value=today, max_value=today, key="fx_day")
            errors.slot("day")
        with right:
            rate = st.text_input(f"{reporting} per one unit", placeholder="1.08")
            errors.slot("rate")
        errors.slot()
        submitted = st.form_submit_button("Save rate")
    if submitted:
        with errors.reported():
            with db_session() as session:
                set_fx_rate(session, actor, currency=currency, rate=rate, day=day, today=today)
            clear_stripe_caches()
            st.toast(f"Saved the {currency.strip().upper()} rate for {day}.", icon=":material/check:")
    file_errors = FieldErrors()
    with st.form("fx_import", clear_on_submit=True):
        upload = st.file_uploader(
            "Import rates from a CSV",
            type=["csv"],
            help="The ECB reference-rate file (eurofxref-hist.csv: Date,USD,JPY,...; units per EUR) or "
            f"date,currency,rate ({reporting} per unit). Only the currencies subscriptions use are kept.",
        )
        file_errors.slot("file")
        imported = st.form_submit_button("Import")
    if imported and upload is not None:
        with file_errors.reported():
            text = upload.getvalue().decode("utf-8-sig", errors="replace")
            with db_session() as session:
                used = set(session.exec(select(StripeSubscription.currency).distinct()).all())
                result = import_fx_csv(session, actor, text=text, today=today, currencies=used or None)
            clear_stripe_caches()
            st.toast(
                f"Imported {result.rows:,} rates ({', '.join(c.upper() for c in result.currencies)}), "
                f"{result.first_day} to {result.last_day}.",
                icon=":material/check:",
            )
    with db_session() as session:
        used = set(session.exec(select(StripeSubscription.currency).distinct()).all())
        months = months_between(date(today.year - 1, today.month, 1), today)
        gaps = month_rates_status(session, months=months, currencies=used, today=today)
        rates = [
            {
                "currency": r.currency.upper(),
                "day": r.day,
                "rate": float(r.rate),
                "source": r.source,
                "updated_at": r.updated_at,
                "updated_by": r.updated_by,
            }
            for r in list_fx_rates(session)
        ]
    for month, currencies in gaps.items():
        st.warning(
            f"No rate for {', '.join(c.upper() for c in currencies)} in {month:%B %Y}: "
            "that month's revenue is not shown.",
            icon=":material/warning:",
        )
    if rates:
        frame = frame_to_viewer(pd.DataFrame(rates), "updated_at")
        st.dataframe(
            frame,
            hide_index=True,
            column_config={
                "day": st.column_config.DateColumn("Day", format="YYYY-MM-DD"),
                "rate": st.column_config.NumberColumn(f"{reporting} per unit", format="%.6f"),
                "updated_at": st.column_config.DatetimeColumn("Updated", format="YYYY-MM-DD HH:mm"),
            },
        )
        csv_download(frame, file_name="fx-rates.csv", key="fx_csv")
