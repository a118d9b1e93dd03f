"""The record of sync and job runs (Stripe, Zendesk, usage ingest, purges), for the Sync page."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from models import SyncRun


def recent_runs(session: Session, *, kind: str = "", limit: int = 500) -> list[dict[str, Any]]:
    """The newest runs first, as plain rows; `duration_s` is None while a run is still going."""
    query = select(SyncRun).order_by(SyncRun.started_at.desc(), SyncRun.id.desc()).limit(limit)
    if kind:
        query = query.where(SyncRun.kind == kind)
    return [_as_row(run) for run in session.exec(query)]


def run_kinds(session: Session) -> list[str]:
    return sorted(session.exec(select(SyncRun.kind).distinct()).all())


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
