"""Scheduled jobs: when each runs (`SCHEDULE`), one copy at a time, and every run records its end.

`SCHEDULE` is the one statement of the schedule: the README's crontab lines are its `cron_line()`s
(a test compares them) and the Sync page's "next expected run" is computed from it.

`job_lock(engine, name, holder=...)`: on PostgreSQL a session advisory lock (released by the server if
the process dies), on SQLite a row in `job_locks` (the row is the lock; a row left by a process that is
no longer running on this host is taken over). A second copy gets `JobLocked` at once, saying who holds
the lock. Once the lock is held, runs of the job's kinds still marked "running" belong to a process that
ended without recording it: `close_abandoned_runs` records their end.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from croniter import croniter
from sqlalchemy import Engine, delete, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from dashboard.access.identity import Actor
from dashboard.core import audit
from dashboard.core.db import session_scope
from dashboard.core.errors import PermissionDenied, ValidationError
from models import JobLock, SyncRun
from models.types import utcnow

log = logging.getLogger(__name__)


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    PARTIAL = "partial"


@dataclass(frozen=True)
class ScheduledJob:
    key: str
    title: str
    command: str  # the arguments after `python -m dashboard`
    cron: str  # five fields, in UTC
    run_kinds: tuple[str, ...]  # the `SyncRun.kind`s its runs are recorded under

    @property
    def lock_name(self) -> str:
        """The job's lock: its command's name without arguments ("purge usage"), one copy at a time."""
        return " ".join(word for word in self.command.split()[:2] if not word.startswith("-"))

    def cron_line(self) -> str:
        return f"{self.cron} python -m dashboard {self.command}"

    def next_run(self, after: datetime) -> datetime:
        """The first scheduled start after `after` (aware UTC)."""
        return croniter(self.cron, after).get_next(datetime)

    def previous_run(self, before: datetime) -> datetime:
        return croniter(self.cron, before).get_prev(datetime)


SCHEDULE: tuple[ScheduledJob, ...] = (
    ScheduledJob(
        "corrections_resolve",
        "Resolve billing corrections",
        "corrections resolve",
        "*/5 * * * *",
        ("corrections_resolve",),
    ),
    ScheduledJob(
        "stripe_sync", "Stripe sync (recent events)", "sync stripe", "*/15 * * * *", ("stripe_incremental",)
    ),
    ScheduledJob(
        "stripe_full", "Stripe sync (everything)", "sync stripe --full", "10 3 * * *", ("stripe_full",)
    ),
    ScheduledJob("zendesk_sync", "Zendesk sync", "sync zendesk", "5 * * * *", ("zendesk",)),
    ScheduledJob(
        "usage_ingest",
        "Usage ingest and rollups",
        "ingest usage /var/lib/apps-console/usage/incoming.jsonl",
        "20 * * * *",
        ("usage_ingest",),
    ),
    ScheduledJob(
        "audit_checkpoint",
        "Audit checkpoint",
        "audit checkpoint --to /var/lib/apps-console-checkpoints/audit.log",
        "0 * * * *",
        ("audit_checkpoint",),
    ),
    ScheduledJob(
        "usage_partitions",
        "Usage event partitions (PostgreSQL)",
        "partitions usage",
        "15 2 * * *",
        ("usage_partitions",),
    ),
    ScheduledJob("usage_purge", "Usage retention purge", "purge usage", "30 2 * * *", ("usage_purge",)),
    ScheduledJob("exports_purge", "Expired exports purge", "purge exports", "40 2 * * *", ("exports_purge",)),
    ScheduledJob(
        "sessions_purge", "Ended sessions purge", "purge sessions", "50 2 * * *", ("sessions_purge",)
    ),
    ScheduledJob(
        "login_throttles_purge",
        "Lapsed sign-in throttles purge",
        "purge login-throttles",
        "55 2 * * *",
        ("login_throttles_purge",),
    ),
    ScheduledJob(
        "privacy_reminders", "Privacy reminders", "remind privacy", "0 7 * * *", ("privacy_reminders",)
    ),
)


def scheduled(key: str) -> ScheduledJob:
    return next(job for job in SCHEDULE if job.key == key)


class JobLocked(RuntimeError):
    """Another copy of the job runs: this one did nothing."""

    def __init__(self, job: str, holder: str) -> None:
        super().__init__(f"Another {job} run holds its lock: {holder}. Nothing was done.")


def _describe(lock: JobLock | None) -> str:
    if lock is None:
        return "another process (it has not said who it is yet)"
    return f"{lock.holder}, pid {lock.pid} on {lock.host}, since {lock.acquired_at:%Y-%m-%d %H:%M:%S} UTC"


def _this_process(name: str, holder: str) -> JobLock:
    return JobLock(name=name, holder=holder[:320], host=socket.gethostname()[:255], pid=os.getpid())


def _read_holder(engine: Engine, name: str) -> JobLock | None:
    with Session(engine, expire_on_commit=False) as session:
        return session.get(JobLock, name)


@contextmanager
def job_lock(engine: Engine, name: str, *, holder: str) -> Iterator[None]:
    """Hold the job's lock for the block; raises `JobLocked` at once when another copy holds it."""
    locker = _advisory_lock if engine.dialect.name == "postgresql" else _row_lock
    with locker(engine, name, _this_process(name, holder)):
        yield


def _advisory_key(name: str) -> int:
    return int.from_bytes(
        hashlib.sha256(f"apps-console/job/{name}".encode()).digest()[:8], "big", signed=True
    )


@contextmanager
def _advisory_lock(engine: Engine, name: str, me: JobLock) -> Iterator[None]:
    key = {"key": _advisory_key(name)}
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        if not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), key).scalar_one():
            raise JobLocked(name, _describe(_read_holder(engine, name)))
        try:
            with session_scope(engine) as session:
                session.merge(me)
            yield
        finally:
            with session_scope(engine) as session:
                session.execute(delete(JobLock).where(col(JobLock.name) == name))
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)


def _still_running(lock: JobLock) -> bool:
    if lock.host != socket.gethostname():
        return True  # cannot tell from here
    try:
        os.kill(lock.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def _row_lock(engine: Engine, name: str, me: JobLock) -> Iterator[None]:
    try:
        with session_scope(engine) as session:
            current = session.get(JobLock, name)
            if current is not None and _still_running(current):
                raise JobLocked(name, _describe(current))
            if current is not None:
                log.warning(
                    "Taking over the lock of %s from a process that ended: %s", name, _describe(current)
                )
                session.delete(current)
                session.flush()
            session.add(me)
    except IntegrityError as error:  # another copy inserted its row between our read and our write
        raise JobLocked(name, _describe(_read_holder(engine, name))) from error
    try:
        yield
    finally:
        with session_scope(engine) as session:
            session.execute(
                delete(JobLock).where(
                    col(JobLock.name) == name, col(JobLock.pid) == me.pid, col(JobLock.host) == me.host
                )
            )


def describe_error(error: BaseException) -> str:
    """The error's type and first line, for a run's record (a database error's first line holds no
    parameters, so no personal data)."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"[:1000]


def close_abandoned_runs(engine: Engine, kinds: tuple[str, ...]) -> int:
    """Record the end of runs of `kinds` still marked running; call only while holding the job's lock."""
    with session_scope(engine) as session:
        runs = session.exec(
            select(SyncRun).where(col(SyncRun.kind).in_(kinds), SyncRun.status == RunStatus.RUNNING)
        ).all()
        for run in runs:
            run.status, run.finished_at = RunStatus.FAILED, utcnow()
            run.error = "Abandoned: the process running it ended without recording its end."
            session.add(run)
        return len(runs)


def record_failed_run(
    engine: Engine, *, kind: str, action: str, actor: Actor, started_at: datetime, error: BaseException
) -> int:
    """A failed run whose own transaction rolled back: its record and audit row, in a new transaction."""
    message = f"Unexpected error: {describe_error(error)}"
    with session_scope(engine) as session:
        run = SyncRun(
            kind=kind,
            status=RunStatus.FAILED,
            started_at=started_at,
            finished_at=utcnow(),
            triggered_by=actor.email,
            error=message,
        )
        session.add(run)
        session.flush()
        audit.record(
            session,
            actor,
            action,
            target_type="sync_run",
            target_id=run.id,
            details={"status": RunStatus.FAILED, "error": message},
        )
        return run.id


@contextmanager
def recorded_run(engine: Engine, kind: str, *, triggered_by: str) -> Iterator[SyncRun]:
    """Record a job's run when it ends: succeeded, or failed with the error's first line. For jobs
    that keep no run record of their own. Refused input (a `ValidationError`, exit code 2) is not a
    run and records nothing. Set `message`/`counts` on the yielded run."""
    run = SyncRun(kind=kind, status=RunStatus.RUNNING, started_at=utcnow(), triggered_by=triggered_by)
    try:
        yield run
    except (ValidationError, PermissionDenied):
        raise
    except BaseException as error:
        code = getattr(error, "exit_code", None)  # typer.Exit: the command said why on stderr
        if code == 2:  # refused input
            raise
        run.status = RunStatus.FAILED
        run.error = f"Ended with exit code {code}" if code is not None else describe_error(error)
        _store_run(engine, run)
        raise
    run.status = RunStatus.SUCCEEDED
    _store_run(engine, run)


def _store_run(engine: Engine, run: SyncRun) -> None:
    run.finished_at = utcnow()
    with session_scope(engine) as session:
        session.add(run)
