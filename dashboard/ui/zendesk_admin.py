"""The "Zendesk" tab of the Sync page: connections (add, edit, disable), "Sync now", the last runs."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.access.identity import Actor
from dashboard.core.jobs import JobLocked
from dashboard.ui.forms import FieldErrors
from dashboard.ui.installations_data import clear_installation_caches
from dashboard.ui.store import db_session, get_engine
from dashboard.ui.tables import csv_download
from dashboard.ui.timezones import frame_to_viewer, to_viewer
from dashboard.zendesk import connections as connections
from dashboard.zendesk.sync import gateway_from_settings, latest_run, run_zendesk_sync


def show_zendesk(actor: Actor) -> None:
    with db_session() as session:
        current = connections.list_connections(session)
    _connections_table(current)
    add_col, edit_col = st.columns(2, border=True)
    with add_col:
        _add_form(actor)
    with edit_col:
        _edit_form(actor, current)
    st.subheader("Sync installations")
    _sync_now(actor, enabled=sum(c.enabled for c in current))
    _latest_run()


def _connections_table(current: list[connections.ConnectionView]) -> None:
    st.subheader("Zendesk connections")
    if not current:
        st.info("No Zendesk account connected yet. Add one below with an API token.")
        return
    frame = frame_to_viewer(
        pd.DataFrame(
            [
                {
                    "subdomain": c.subdomain,
                    "email": c.email,
                    "enabled": c.enabled,
                    "token": "stored" if c.has_token else "missing",
                    "last_synced_at": c.last_synced_at,
                    "last_error": c.last_error or "",
                }
                for c in current
            ]
        ),
        "last_synced_at",
    )
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


def _add_form(actor: Actor) -> None:
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


def _edit_form(actor: Actor, current: list[connections.ConnectionView]) -> None:
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


def _sync_now(actor: Actor, *, enabled: int) -> None:
    if not st.button(
        "Sync now",
        icon=":material/sync:",
        disabled=enabled == 0,
        key="zendesk_sync_now",
        help="Read app installations from every enabled Zendesk account",
    ):
        return
    with st.status(f"Syncing {enabled} Zendesk account(s)…", expanded=True) as status:
        bar = st.progress(0.0)

        def progress(done: int, total: int, subdomain: str) -> None:
            bar.progress(done / total if total else 1.0, text=f"{subdomain}…" if subdomain else "Done")

        try:
            result = run_zendesk_sync(get_engine(), gateway_from_settings(), actor=actor, progress=progress)
        except JobLocked as error:
            status.update(label="Another Zendesk sync is running", state="error")
            st.error(str(error))
            return
        if result.error:
            st.error(result.error)
        for outcome in result.outcomes:
            (st.write if outcome.ok else st.error)(f"{outcome.subdomain}: {outcome.message}")
        state = "complete" if result.status == "succeeded" else "error"
        status.update(label=f"Sync {result.status}", state=state, expanded=bool(result.failed))
    clear_installation_caches()
    st.toast(f"Zendesk sync {result.status}: {len(result.failed)} account(s) failed.", icon=":material/sync:")


def _latest_run() -> None:
    with db_session() as session:
        run = latest_run(session)
    if run is None:
        st.caption("No Zendesk sync has run yet.")
        return
    started = to_viewer(run.started_at)
    st.markdown(f"**Latest run** · {started:%Y-%m-%d %H:%M %Z} · {run.status} · by {run.triggered_by}")
    per_account = pd.DataFrame(run.counts.get("accounts", []))
    st.dataframe(per_account, hide_index=True)
    csv_download(per_account, file_name="zendesk-sync-latest.csv", key="zendesk_latest_csv")
    st.caption("Every run is listed on the Runs tab.")
