"""The "Runs" tab of the Sync page: every sync and job run, newest first."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import sync_runs
from dashboard.identity import Actor
from dashboard.ui.store import db_session
from dashboard.ui.tables import csv_download
from dashboard.ui.timezones import frame_to_viewer

_COLUMNS = {
    "kind": st.column_config.TextColumn("Kind"),
    "status": st.column_config.TextColumn("Status"),
    "started_at": st.column_config.DatetimeColumn("Started", format="YYYY-MM-DD HH:mm:ss z"),
    "finished_at": st.column_config.DatetimeColumn("Finished", format="YYYY-MM-DD HH:mm:ss z"),
    "duration_s": st.column_config.NumberColumn("Duration (s)", format="%.1f"),
    "triggered_by": st.column_config.TextColumn("Triggered by"),
    "counts": st.column_config.TextColumn("Counts", width="large"),
    "message": st.column_config.TextColumn("Message"),
    "error": st.column_config.TextColumn("Error", width="large"),
}


def show_runs(actor: Actor) -> None:
    with db_session() as session:
        kinds = sync_runs.run_kinds(session)
    kind = st.selectbox(
        "Kind", ["", *kinds], format_func=lambda k: k or "All kinds", key="sync_kind", bind="query-params"
    )
    with db_session() as session:
        rows = sync_runs.recent_runs(session, kind=kind or "")
    if not rows:
        st.info(
            "No sync or job runs yet. They appear here as soon as a job runs "
            "(for example `python -m dashboard sync ...`)."
        )
        return
    frame = frame_to_viewer(pd.DataFrame(rows), "started_at", "finished_at")
    failed = int((frame["status"] == "failed").sum())
    st.caption(f"{len(frame)} newest runs · {failed} failed")
    st.dataframe(frame, column_config=_COLUMNS, column_order=list(_COLUMNS), hide_index=True)
    csv_download(frame, file_name="sync-runs.csv", key="sync_runs_csv")
