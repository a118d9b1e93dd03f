"""What every command shares: the configured engine, and errors that end with a clear message."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlmodel import Session

from dashboard.access.identity import Actor
from dashboard.core.db import make_engine, migrate, session_scope
from dashboard.core.errors import PermissionDenied, ValidationError
from dashboard.core.jobs import JobLocked, close_abandoned_runs, job_lock, recorded_run, scheduled
from dashboard.core.keys import MissingKeyError
from dashboard.core.settings import get_settings
from models import SyncRun

CLI_ACTOR = Actor(email="cli", role="system")
# Every destructive command takes it: count and show what would go, change nothing.
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would be deleted; delete nothing")]


def engine(*, migrated: bool = True) -> Engine:
    """The configured store; exit 2 when it is not the demo store and a key is missing (core/keys.py)."""
    settings = get_settings()
    try:
        settings.keys  # noqa: B018  (loading them is the check)
    except MissingKeyError as error:
        fail(str(error), code=2)
    eng = make_engine(settings.effective_database_url)
    if migrated:
        migrate(eng)
    return eng


def fail(message: str, code: int = 1) -> None:
    typer.secho(f"Error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


JOB_LOCKED_EXIT = 3


@contextmanager
def exclusive_job(name: str | None = None, *, run_kinds: tuple[str, ...] = ()) -> Iterator[None]:
    """One copy of a scheduled job at a time: a job whose lock another copy holds ends at once with the
    holder named, and exit code 3, before it reads or writes anything.

    `name` (the command, e.g. "purge usage"): the lock is taken here, and runs of `run_kinds` left
    "running" by a copy that died are closed (`dashboard.core.jobs`). Without it the job's own runner takes
    the lock (the syncs, which the pages start too)."""
    try:
        if name is None:
            yield
            return
        store = engine()
        with job_lock(store, name, holder=CLI_ACTOR.email):
            if run_kinds:
                close_abandoned_runs(store, run_kinds)
            yield
    except JobLocked as error:
        fail(str(error), code=JOB_LOCKED_EXIT)


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A committed session; validation and permission errors become a message and exit code 2."""
    try:
        with session_scope(engine()) as session:
            yield session
    except (ValidationError, PermissionDenied) as error:
        fail(getattr(error, "message", str(error)), code=2)


@contextmanager
def job_run(key: str, *, dry_run: bool = False) -> Iterator[SyncRun]:
    """Run the scheduled job `key` (dashboard.core.jobs.SCHEDULE) under its lock (`exclusive_job`) and
    record the run for the Sync page; a dry run takes the lock too but is not a run and is not recorded."""
    job = scheduled(key)
    with exclusive_job(job.lock_name, run_kinds=job.run_kinds):
        if dry_run:
            yield SyncRun(kind=job.run_kinds[0])
            return
        with recorded_run(engine(migrated=False), job.run_kinds[0], triggered_by=CLI_ACTOR.email) as run:
            yield run
