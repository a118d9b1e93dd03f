"""The record of sync and job runs (Stripe, Zendesk, usage ingest, purges, ...) and the schedule's
state, for the Sync page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlmodel import Session, col, select

from dashboard.core.jobs import SCHEDULE, RunStatus
from models import SyncRun

LATE_AFTER = timedelta(minutes=10)  # grace after a scheduled start before a job counts as late


def recent_runs(session: Session, *, kind: str = "", limit: int = 500) -> list[dict[str, Any]]:
    """The newest runs first, as plain rows; `duration_s` is None while a run is still going."""
    query = select(SyncRun).order_by(SyncRun.started_at.desc(), SyncRun.id.desc()).limit(limit)
    if kind:
        query = query.where(SyncRun.kind == kind)
    return [_as_row(run) for run in session.exec(query)]


def run_kinds(session: Session) -> list[str]:
    return sorted(session.exec(select(SyncRun.kind).distinct()).all())


RUN_NAMES = (
    "id",
    "kind",
    "status",
    "started_at",
    "finished_at",
    "duration_s",
    "triggered_by",
    "counts",
    "message",
    "error",
)


def _as_row(run: SyncRun) -> dict[str, Any]:
    duration = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
    return {
        "id": run.id,
        "kind": run.kind,
        "status": run.status,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_s": duration,
        "triggered_by": run.triggered_by,
        "counts": ", ".join(f"{k}: {v}" for k, v in sorted(run.counts.items())) if run.counts else "",
        "message": run.message,
        "error": run.error or "",
    }


def job_schedule(session: Session, *, now: datetime) -> list[dict[str, Any]]:
    """Every scheduled job (`dashboard.core.jobs.SCHEDULE`): its last run and result, and the next
    expected run. A job is late when it has not started since its last scheduled start (a few
    minutes' grace) — the scheduler is not calling it, or its runs keep failing to start."""
    rows = []
    for job in SCHEDULE:
        last = session.exec(
            select(SyncRun)
            .where(col(SyncRun.kind).in_(job.run_kinds))
            .order_by(col(SyncRun.started_at).desc(), col(SyncRun.id).desc())
            .limit(1)
        ).first()
        due = job.previous_run(now - LATE_AFTER)
        rows.append(
            {
                "job": job.title,
                "schedule": job.cron,
                "command": f"python -m dashboard {job.command}",
                "last_started": last.started_at if last else None,
                "last_status": last.status if last else "never_run",
                "last_duration_s": (last.finished_at - last.started_at).total_seconds()
                if last and last.finished_at
                else None,
                "last_message": (last.error or last.message) if last else "",
                "next_run": job.next_run(now),
                "late": last is None or last.started_at < due,
            }
        )
    return rows


@dataclass(frozen=True)
class JobsScreen:
    rows: pd.DataFrame  # one row per scheduled job (`job_schedule`)
    late: int  # jobs that have not started since their last scheduled start


def jobs_screen(session: Session, *, now: datetime) -> JobsScreen:
    """The Sync page's Jobs tab: every scheduled job's state and how many are late."""
    rows = pd.DataFrame(job_schedule(session, now=now))
    return JobsScreen(rows=rows, late=int(rows["late"].sum()) if not rows.empty else 0)


@dataclass(frozen=True)
class RunsScreen:
    rows: pd.DataFrame  # the newest runs of the chosen kind (all kinds for ""), newest first
    failed: int


def runs_screen(
    session: Session, *, kind: str = "", kinds: tuple[str, ...] = (), limit: int = 500
) -> RunsScreen:
    """The newest runs of `kind` (or, with `kinds`, of each of those; all for neither), newest first."""
    chosen = kinds or (kind,)
    found = [row for one in chosen for row in recent_runs(session, kind=one, limit=limit)]
    rows = pd.DataFrame(found, columns=list(found[0]) if found else list(RUN_NAMES))
    if len(chosen) > 1:
        rows = rows.sort_values(["started_at", "id"], ascending=False, ignore_index=True)
    return RunsScreen(rows=rows, failed=int((rows["status"] == RunStatus.FAILED).sum()))
