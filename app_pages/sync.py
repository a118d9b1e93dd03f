"""Sync and settings (admin): one tab per area. Each tab reads one screen (`jobs_screen`, `runs_screen`,
`stripe_settings_screen`, `zendesk_settings_screen`) and draws it; its buttons and forms call the
domain's actions, then clear the caches of what they changed."""

from datetime import date

import streamlit as st

from dashboard.access.identity import Actor
from dashboard.billing.revenue.fx import import_fx_csv, reporting_currency, set_fx_rate
from dashboard.billing.settings_screen import changes_made, stripe_settings_screen, subscription_currencies
from dashboard.billing.stripe_gateway import StripeGateway, StripeGatewayError
from dashboard.billing.stripe_sync import run_stripe_sync
from dashboard.core import clock, sync_runs
from dashboard.core.jobs import JobLocked, RunStatus
from dashboard.presentation.columns import Column, Kind
from dashboard.presentation.text import words
from dashboard.ui.access import require_page
from dashboard.ui.cache_groups import Group, clear_group
from dashboard.ui.forms import FieldErrors
from dashboard.ui.store import db_session, get_engine
from dashboard.ui.tables import csv_download, show_table
from dashboard.ui.timezones import frame_to_viewer, to_viewer, viewer_timezone
from dashboard.zendesk import connections
from dashboard.zendesk.screens import zendesk_settings_screen
from dashboard.zendesk.sync import gateway_from_settings, run_zendesk_sync

JOB_COLUMNS = {
    "job": Column("Job"),
    "last_status": Column("Last result", Kind.ENUM),
    "last_started": Column("Last run", Kind.DATETIME),
    "last_duration_s": Column("Took (s)", Kind.NUMBER),
    "next_run": Column("Next expected run", Kind.DATETIME),
    "late": Column("Late", Kind.BOOL, help="No run since its last scheduled start"),
    "schedule": Column("Schedule (cron, UTC)"),
    "command": Column("Command"),
    "last_message": Column("Last message"),
}
RUN_COLUMNS = {
    "kind": Column("Job", Kind.ENUM),
    "status": Column("Result", Kind.ENUM),
    "started_at": Column("Started", Kind.DATETIME),
    "finished_at": Column("Finished", Kind.DATETIME),
    "duration_s": Column("Took (s)", Kind.NUMBER),
    "triggered_by": Column("Triggered by"),
    "counts": Column("Counts"),
    "message": Column("Message"),
    "error": Column("Error"),
}


# --- Jobs and Runs ------------------------------------------------------------------------------------


def show_jobs(actor: Actor) -> None:
    with db_session() as session:
        screen = sync_runs.jobs_screen(session, now=clock.now())
    st.caption(
        f"{len(screen.rows)} scheduled jobs · {screen.late} late · times in {viewer_timezone()}. "
        "The schedule is dashboard/core/jobs.py `SCHEDULE`; the README lists the matching crontab lines."
    )
    show_table(screen.rows, JOB_COLUMNS, key="jobs", file_name="jobs.csv")


def show_runs(actor: Actor) -> None:
    with db_session() as session:
        kinds = sync_runs.run_kinds(session)
    kind = st.selectbox(
        "Job",
        ["", *kinds],
        format_func=lambda k: words(k) if k else "All jobs",
        key="sync_kind",
        bind="query-params",
    )
    with db_session() as session:
        screen = sync_runs.runs_screen(session, kind=kind or "")
    if screen.rows.empty:
        st.info("No runs yet. They appear here as soon as a job runs (the Jobs tab says when each is due).")
        return
    st.caption(f"{len(screen.rows)} newest runs · {screen.failed} failed")
    show_table(screen.rows, RUN_COLUMNS, key="sync_runs", file_name="sync-runs.csv")


# --- Stripe -------------------------------------------------------------------------------------------


def show_stripe_settings(actor: Actor) -> None:
    stripe_sync_now(actor)
    # The runs and unlinked customers are drawn above the rate forms but read after them, with the
    # rates: one screen that already shows a rate saved on this run.
    runs_area, unlinked_area = st.container(), st.container()
    today = clock.today()
    reporting = reporting_currency().upper()
    st.subheader(f"Exchange rates to {reporting}")
    fx_rate_forms(actor, today, reporting)
    with db_session() as session:
        screen = stripe_settings_screen(session, today=today)
    with runs_area:
        st.subheader("Recent Stripe runs")
        if screen.runs.rows.empty:
            st.caption("No Stripe sync has run yet.")
        else:
            show_table(screen.runs.rows, RUN_COLUMNS, key="stripe_runs", file_name="stripe-sync-runs.csv")
    with unlinked_area:
        st.subheader("Customers not linked to an account")
        if screen.unlinked.empty:
            st.caption("Every Stripe customer is linked to an account.")
        else:
            st.caption(
                "Linked by the `zendesk_subdomain` metadata key, else by a contact's email, else by an "
                "installation's subscription id. Fix the data in Stripe or the console, then sync again."
            )
            st.dataframe(screen.unlinked, hide_index=True, width="stretch")
            csv_download(screen.unlinked, file_name="unlinked-stripe-customers.csv", key="unlinked_csv")
    for month, currencies in screen.missing_rates.items():
        st.warning(
            f"No rate for {', '.join(c.upper() for c in currencies)} in {month:%B %Y}: "
            "that month's revenue is not shown.",
            icon=":material/warning:",
        )
    if not screen.rates.empty:
        frame = frame_to_viewer(screen.rates, "updated_at")
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


def stripe_sync_now(actor: Actor) -> None:
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
        if result.status == RunStatus.SUCCEEDED:
            status.update(label=f"Stripe sync run {result.run_id} succeeded", state="complete")
        else:
            status.update(label=f"Stripe sync run {result.run_id} failed", state="error")
            st.error(result.error)
    clear_group(Group.STRIPE)
    if result.status == RunStatus.SUCCEEDED:
        st.toast(f"Stripe sync done: {changes_made(result):,} changes.", icon=":material/check:")


def fx_rate_forms(actor: Actor, today: date, reporting: str) -> None:
    """Save one rate, or import a CSV of rates; a refusal shows under its field."""
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
            clear_group(Group.STRIPE)
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
                used = subscription_currencies(session)
                result = import_fx_csv(session, actor, text=text, today=today, currencies=used or None)
            clear_group(Group.STRIPE)
            st.toast(
                f"Imported {result.rows:,} rates ({', '.join(c.upper() for c in result.currencies)}), "
                f"{result.first_day} to {result.last_day}.",
                icon=":material/check:",
            )


# --- Zendesk ------------------------------------------------------------------------------------------


def show_zendesk(actor: Actor) -> None:
    with db_session() as session:
        screen = zendesk_settings_screen(session)
    st.subheader("Zendesk connections")
    if screen.rows.empty:
        st.info("No Zendesk account connected yet. Add one below with an API token.")
    else:
        frame = frame_to_viewer(screen.rows, "last_synced_at")
        st.dataframe(
            frame,
            hide_index=True,
            column_config={
                "subdomain": st.column_config.TextColumn("Subdomain"),
                "email": st.column_config.TextColumn("API user"),
                "enabled": st.column_config.CheckboxColumn("Enabled"),
                "token": st.column_config.TextColumn("Token"),
                "last_synced_at": st.column_config.DatetimeColumn("Last synced", format="YYYY-MM-DD HH:mm z"),
                "last_error": st.column_config.TextColumn("Last error", width="large"),
            },
        )
        csv_download(frame, file_name="zendesk-connections.csv", key="zendesk_connections_csv")
    add_col, edit_col = st.columns(2, border=True)
    with add_col:
        add_connection_form(actor)
    with edit_col:
        edit_connection_form(actor, screen.connections)
    st.subheader("Sync installations")
    if zendesk_sync_now(actor, enabled=screen.enabled):
        with db_session() as session:  # the run just made is the latest
            screen = zendesk_settings_screen(session)
    run = screen.latest_run
    if run is None:
        st.caption("No Zendesk sync has run yet.")
        return
    started = to_viewer(run.started_at)
    st.markdown(f"**Latest run** · {started:%Y-%m-%d %H:%M %Z} · {run.status} · by {run.triggered_by}")
    st.dataframe(screen.latest_accounts, hide_index=True)
    csv_download(screen.latest_accounts, file_name="zendesk-sync-latest.csv", key="zendesk_latest_csv")
    st.caption("Every run is listed on the Runs tab.")


def add_connection_form(actor: Actor) -> None:
    st.markdown("**Add a connection**")
    errors = FieldErrors()
    with st.form("zendesk_add", border=False):
        subdomain = st.text_input("Subdomain", placeholder="acme (for acme.zendesk.com)")
        errors.slot("subdomain")
        email = st.text_input("API user email")
        errors.slot("email")
        token = st.text_input("API token", type="password", help="Stored encrypted; never shown again.")
        errors.slot("token")
        errors.slot()
        if st.form_submit_button("Add connection", type="primary"):
            with errors.reported():
                with db_session() as session:
                    added = connections.add_connection(
                        session, actor, subdomain=subdomain, email=email, token=token
                    )
                st.toast(f"Connected {added.subdomain}.zendesk.com.", icon=":material/check:")


def edit_connection_form(actor: Actor, current: list[connections.ConnectionView]) -> None:
    st.markdown("**Edit or disable a connection**")
    if not current:
        st.caption("Nothing to edit yet.")
        return
    by_id = {c.id: c for c in current}
    chosen = st.selectbox("Connection", list(by_id), format_func=lambda i: by_id[i].subdomain)
    connection = by_id[chosen]
    errors = FieldErrors()
    with st.form(f"zendesk_edit_{chosen}", border=False):
        email = st.text_input("API user email", value=connection.email)
        errors.slot("email")
        token = st.text_input("New API token", type="password", help="Leave empty to keep the stored token.")
        errors.slot("token")
        enabled = st.checkbox("Enabled (included in syncs)", value=connection.enabled)
        errors.slot()
        if st.form_submit_button("Save changes"):
            with errors.reported():
                with db_session() as session:
                    connections.update_connection(
                        session,
                        actor,
                        connection_id=chosen,
                        email=email,
                        token=token or None,
                        enabled=enabled,
                    )
                st.toast(f"Saved {connection.subdomain}.", icon=":material/check:")


def zendesk_sync_now(actor: Actor, *, enabled: int) -> bool:
    """The "Sync now" button; True when a sync ran."""
    if not st.button(
        "Sync now",
        icon=":material/sync:",
        disabled=enabled == 0,
        key="zendesk_sync_now",
        help="Read app installations from every enabled Zendesk account",
    ):
        return False
    with st.status(f"Syncing {enabled} Zendesk account(s)…", expanded=True) as status:
        bar = st.progress(0.0)

        def progress(done: int, total: int, subdomain: str) -> None:
            bar.progress(done / total if total else 1.0, text=f"{subdomain}…" if subdomain else "Done")

        try:
            result = run_zendesk_sync(get_engine(), gateway_from_settings(), actor=actor, progress=progress)
        except JobLocked as error:
            status.update(label="Another Zendesk sync is running", state="error")
            st.error(str(error))
            return False
        if result.error:
            st.error(result.error)
        for outcome in result.outcomes:
            (st.write if outcome.ok else st.error)(f"{outcome.subdomain}: {outcome.message}")
        state = "complete" if result.status == RunStatus.SUCCEEDED else "error"
        status.update(label=f"Sync {result.status}", state=state, expanded=bool(result.failed))
    clear_group(Group.INSTALLATIONS)
    st.toast(f"Zendesk sync {result.status}: {len(result.failed)} account(s) failed.", icon=":material/sync:")
    return True


actor = require_page("sync")
st.title("Sync and settings")

# (tab label, body). Add a tab with one line: ("Stripe", show_stripe_settings).
TABS = [
    ("Jobs", show_jobs),
    ("Runs", show_runs),
    ("Stripe", show_stripe_settings),
    ("Zendesk", show_zendesk),
]

for tab, (_, body) in zip(st.tabs([label for label, _ in TABS]), TABS, strict=True):
    with tab:
        body(actor)
