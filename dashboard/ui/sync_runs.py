"""The "Jobs" and "Runs" tabs of the Sync page: each scheduled job's state, then every run, newest first."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.access.identity import Actor
from dashboard.core import clock, sync_runs
from dashboard.presentation.columns import Column, Kind
from dashboard.presentation.text import words
from dashboard.ui.store import db_session
from dashboard.ui.tables import show_table
from dashboard.ui.timezones import viewer_timezone

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


def show_jobs(actor: Actor) -> None:
    with db_session() as session:
        rows = sync_runs.job_schedule(session, now=clock.now())
    frame = pd.DataFrame(rows)
    late = int(frame["late"].sum())
    st.caption(
        f"{len(frame)} scheduled jobs · {late} late · times in {viewer_timezone()}. The schedule is "
        "dashboard/core/jobs.py `SCHEDULE`; the README lists the matching crontab lines."
    )
    show_table(frame, JOB_COLUMNS, key="jobs", file_name="jobs.csv")


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
        rows = sync_runs.recent_runs(session, kind=kind or "")
    if not rows:
        st.info("No runs yet. They appear here as soon as a job runs (the Jobs tab says when each is due).")
        return
    frame = pd.DataFrame(rows)
    st.caption(f"{len(frame)} newest runs · {int((frame['status'] == 'failed').sum())} failed")
    show_table(frame, RUN_COLUMNS, key="sync_runs", file_name="sync-runs.csv")
