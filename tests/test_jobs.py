"""Jobs: one copy at a time (a second exits at once naming the holder), and every run records its end."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from dashboard import jobs
from dashboard.cli import app
from dashboard.identity import SYSTEM, Actor
from dashboard.settings import reset_settings_cache
from dashboard.simulators.stripe import TEST_KEY
from dashboard.stripe_gateway import StripeGateway
from dashboard.stripe_sync import run_stripe_sync
from dashboard.zendesk_gateway import WaitBudget
from dashboard.zendesk_sync import run_zendesk_sync
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
def cli_store(engine: Engine, fake_stripe, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
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
    from dashboard import zendesk_connections

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
