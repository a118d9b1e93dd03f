"""Jobs: one copy at a time (a second exits at once naming the holder), and every run records its end."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, func, select
from typer.testing import CliRunner

from dashboard.access.identity import SYSTEM, Actor
from dashboard.billing.stripe_gateway import StripeGateway
from dashboard.billing.stripe_sync import run_stripe_sync
from dashboard.cli import app
from dashboard.core import jobs
from dashboard.core.settings import reset_settings_cache
from dashboard.simulators.stripe import TEST_KEY
from dashboard.zendesk.gateway import WaitBudget
from dashboard.zendesk.sync import run_zendesk_sync
from models import AuditEvent, JobLock, SyncRun

OPERATOR = Actor(email="ops@example.com", role="admin")


def _runs(engine: Engine) -> list[SyncRun]:
    with Session(engine) as session:
        return list(session.exec(select(SyncRun).order_by(SyncRun.id)).all())


def test_a_second_copy_is_refused_at_once_naming_the_holder(engine: Engine) -> None:
    with jobs.job_lock(engine, "sync stripe", holder="cron@scheduler"):
        with pytest.raises(jobs.JobLocked) as refused, jobs.job_lock(engine, "sync stripe", holder="me"):
            pytest.fail("the second copy ran")
        assert f"Another sync stripe run holds its lock: cron@scheduler, pid {os.getpid()}" in str(
            refused.value
        )
        with jobs.job_lock(engine, "sync zendesk", holder="me"):  # other jobs are not blocked
            pass
    with jobs.job_lock(engine, "sync stripe", holder="me"):  # released after the block
        pass
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(JobLock)).one() == 0


def test_a_lock_is_released_when_the_job_fails(engine: Engine) -> None:
    with pytest.raises(RuntimeError), jobs.job_lock(engine, "sync stripe", holder="me"):
        raise RuntimeError("boom")
    with jobs.job_lock(engine, "sync stripe", holder="me"):
        pass


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_sqlite_lock_row_left_by_a_dead_process_is_taken_over(engine: Engine) -> None:
    dead = JobLock(name="sync stripe", holder="crashed", host=jobs.socket.gethostname(), pid=2**22 + 12345)
    with Session(engine) as session:
        session.add(dead)
        session.commit()
    with jobs.job_lock(engine, "sync stripe", holder="me"), Session(engine) as session:
        assert session.get(JobLock, "sync stripe").pid == os.getpid()


@pytest.fixture
def cli_store(engine: Engine, fake_stripe, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Engine:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    # A mail server is configured; with no privacy request due, `remind privacy` never connects to it.
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_SECURITY", "none")
    monkeypatch.setenv("SMTP_FROM", "privacy-console@company.example")
    monkeypatch.setenv("STRIPE_API_BASE", fake_stripe.url)
    monkeypatch.setenv("STRIPE_API_KEY", TEST_KEY)
    monkeypatch.setenv("STRIPE_MAX_NETWORK_RETRIES", "0")
    reset_settings_cache()
    yield engine
    reset_settings_cache()


@pytest.mark.parametrize("command", [["sync", "stripe"], ["sync", "zendesk"]])
def test_an_overlapping_cli_run_exits_3_and_does_nothing(cli_store: Engine, command: list[str]) -> None:
    with jobs.job_lock(cli_store, " ".join(command), holder="cron@scheduler"):
        result = CliRunner().invoke(app, command)
    assert result.exit_code == 3 and "holds its lock: cron@scheduler" in result.output
    assert _runs(cli_store) == []


# Every scheduled CLI job but the syncs (above): (command, whether an unlocked run writes something here).
SCHEDULED_JOBS = [
    (["ingest", "usage", "{tmp}/events.jsonl"], True),  # its bad line goes to a rejects file
    (["purge", "usage", "--days", "30"], True),  # audited even when nothing is old enough
    (["purge", "sessions"], True),
    (["purge", "exports"], True),  # records its run (no export to delete here)
    (["purge", "login-throttles"], True),
    (["audit", "checkpoint", "--to", "{tmp}/checkpoints.jsonl"], True),
    (["remind", "privacy"], True),  # records its run
    (["corrections", "resolve"], True),  # records its run
]


def _job_name(command: list[str]) -> str:
    return " ".join(command[:2])


def _everything(engine: Engine, tmp_path) -> tuple[dict[str, int], list[str]]:
    """Rows per table (but the lock's own) and every file under the test's folder."""
    with Session(engine) as session:
        counts = {
            table.name: session.exec(select(func.count()).select_from(table)).one()
            for table in SQLModel.metadata.sorted_tables
            if table.name != "job_locks"
        }
    files = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file())
    return counts, files


@pytest.mark.parametrize(
    ("command", "writes"), SCHEDULED_JOBS, ids=lambda v: " ".join(v[:2]) if isinstance(v, list) else ""
)
def test_a_second_copy_of_every_scheduled_job_exits_3_and_writes_nothing(
    cli_store: Engine, tmp_path, command: list[str], writes: bool
) -> None:
    (tmp_path / "events.jsonl").write_text("not json at all\n")
    args = [part.format(tmp=tmp_path) for part in command]
    CliRunner().invoke(app, ["migrate"])
    before = _everything(cli_store, tmp_path)
    with jobs.job_lock(cli_store, _job_name(command), holder="cron@scheduler"):
        refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 3, refused.output
    assert f"Another {_job_name(command)} run holds its lock: cron@scheduler" in refused.output
    assert _everything(cli_store, tmp_path) == before
    # Once the lock is free the same command runs (and, where it has something to write, writes it):
    ran = CliRunner().invoke(app, args)
    assert ran.exit_code == 0, ran.output
    assert (_everything(cli_store, tmp_path) != before) is writes


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_scheduled_job_takes_over_a_lock_row_left_by_a_dead_process(cli_store: Engine) -> None:
    with Session(cli_store) as session:
        session.add(
            JobLock(name="purge sessions", holder="crashed", host=jobs.socket.gethostname(), pid=2**22 + 7)
        )
        session.commit()
    result = CliRunner().invoke(app, ["purge", "sessions"])
    assert result.exit_code == 0, result.output
    with Session(cli_store) as session:
        assert session.get(JobLock, "purge sessions") is None  # taken over, then released


@pytest.mark.parametrize(
    ("command", "kind"),
    [(["corrections", "resolve"], "corrections_resolve"), (["remind", "privacy"], "privacy_reminders")],
)
def test_a_job_run_left_running_by_a_killed_cli_process_is_closed_by_the_next(
    cli_store: Engine, command: list[str], kind: str
) -> None:
    with Session(cli_store) as session:
        session.add(SyncRun(kind=kind, status="running", triggered_by="killed"))
        session.commit()
    assert CliRunner().invoke(app, command).exit_code == 0
    abandoned, latest = _runs(cli_store)
    assert (abandoned.status, abandoned.error.startswith("Abandoned"), abandoned.finished_at is not None) == (
        "failed",
        True,
        True,
    )
    assert latest.kind == kind and latest.status == "succeeded"


class _BrokenShapes(StripeGateway):
    """A Stripe answer in a shape the sync does not expect (objects without an id)."""

    def list_pages(self, resource: str, **_params):
        yield [{"object": resource}]


def test_an_unexpected_error_in_a_stripe_sync_still_records_its_end(engine: Engine, fake_stripe) -> None:
    gateway = _BrokenShapes(TEST_KEY, api_base=fake_stripe.url, max_network_retries=0)
    result = run_stripe_sync(engine, gateway, full=True, actor=OPERATOR)
    assert result.status == "failed" and result.error.startswith("Unexpected error: KeyError")
    (run,) = _runs(engine)
    assert (run.status, run.error, run.finished_at is not None) == ("failed", result.error, True)
    with Session(engine) as session:
        audited = session.exec(select(AuditEvent).where(AuditEvent.action == "sync.stripe_full")).one()
    assert audited.details["status"] == "failed" and audited.actor == OPERATOR.email


class _ExplodingClient:
    requests_made = 0

    def installations(self):
        raise RuntimeError("database went away")


class _ExplodingGateway:
    def run_budget(self) -> WaitBudget:
        return WaitBudget(60, "run's", "ZENDESK_RUN_RATELIMIT_BUDGET_SECONDS")

    def client(self, **_credentials):
        return _ExplodingClient()


def test_an_unexpected_error_in_a_zendesk_sync_still_records_a_failed_run(engine: Engine, session) -> None:
    from dashboard.zendesk import connections as zendesk_connections

    zendesk_connections.add_connection(session, SYSTEM, subdomain="acme", email="a@b.test", token="t" * 40)
    session.commit()
    result = run_zendesk_sync(engine, _ExplodingGateway(), actor=OPERATOR)
    assert result.status == "failed" and result.error == "RuntimeError: database went away"
    (run,) = _runs(engine)
    assert run.status == "failed" and run.finished_at is not None and "database went away" in run.error
    with Session(engine) as s:
        audited = s.exec(select(AuditEvent).where(AuditEvent.action == "zendesk_sync")).one()
    assert audited.details["status"] == "failed"


def test_a_run_left_running_by_a_killed_process_is_closed_by_the_next_one(
    engine: Engine, fake_stripe
) -> None:
    with Session(engine) as session:
        session.add(SyncRun(kind="stripe_full", status="running", triggered_by="killed"))
        session.commit()
    gateway = StripeGateway(TEST_KEY, api_base=fake_stripe.url, max_network_retries=0)
    run_stripe_sync(engine, gateway, full=True)
    abandoned, latest = _runs(engine)
    assert abandoned.status == "failed" and abandoned.error.startswith("Abandoned") and abandoned.finished_at
    assert latest.status == "succeeded"
