"""Scheduled jobs run one copy at a time, and every run records its end whatever happens.

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
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Engine, delete, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from dashboard import audit
from dashboard.db import session_scope
from dashboard.identity import Actor
from models import JobLock, SyncRun
from models.types import utcnow

log = logging.getLogger(__name__)


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    PARTIAL = "partial"


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
