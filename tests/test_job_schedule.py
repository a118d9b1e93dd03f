"""The job schedule: one list for the README's crontab lines and the Sync page, every job's runs recorded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from dashboard.cli import app
from dashboard.core.jobs import SCHEDULE, scheduled
from dashboard.core.settings import PROJECT_ROOT
from dashboard.core.sync_runs import job_schedule
from models import SyncRun
from tests.test_cli import cli, old_usage  # noqa: F401  (fixtures)

NOW = datetime(2026, 12, 1, 10, 7, tzinfo=UTC)


def test_the_readme_names_every_scheduled_job_as_a_crontab_line() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    for job in SCHEDULE:
        assert f"\n{job.cron_line()}\n" in readme, job.key


def test_every_job_command_of_the_cli_is_on_the_schedule() -> None:
    scheduled_commands = {" ".join(job.command.split()[:2]) for job in SCHEDULE}
    groups = {group.name: group.typer_instance for group in app.registered_groups}
    jobs = {
        f"{name} {command.name}"
        for name in ("sync", "ingest", "purge", "remind", "corrections", "partitions")
        for command in groups[name].registered_commands
    }
    assert jobs | {"audit checkpoint"} == scheduled_commands


def test_next_run_and_lateness_from_the_schedule(session: Session, freeze) -> None:
    freeze(NOW)
    session.add_all(
        [
            SyncRun(
                kind="zendesk",
                status="succeeded",
                started_at=datetime(2026, 12, 1, 9, 5, tzinfo=UTC),
                finished_at=datetime(2026, 12, 1, 9, 6, 30, tzinfo=UTC),
            ),
            SyncRun(
                kind="stripe_incremental",
                status="failed",
                error="APIConnectionError: down",
                started_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
                finished_at=datetime(2026, 12, 1, 9, 30, 2, tzinfo=UTC),
            ),
        ]
    )
    session.commit()
    rows = {row["job"]: row for row in job_schedule(session, now=NOW)}
    assert len(rows) == len(SCHEDULE)
    zendesk = rows["Zendesk sync"]  # hourly at :05; ran at 09:05, the 10:05 start is within the grace
    assert zendesk["next_run"] == datetime(2026, 12, 1, 11, 5, tzinfo=UTC)
    assert (zendesk["last_status"], zendesk["last_duration_s"], zendesk["late"]) == ("succeeded", 90.0, False)
    stripe = rows["Stripe sync (recent events)"]  # every 15 minutes: 09:45 passed without a run
    assert stripe["next_run"] == datetime(2026, 12, 1, 10, 15, tzinfo=UTC)
    assert (stripe["last_status"], stripe["late"], stripe["last_message"]) == (
        "failed",
        True,
        "APIConnectionError: down",
    )
    never = rows["Privacy reminders"]
    assert (never["last_status"], never["last_started"], never["late"]) == ("never_run", None, True)
    assert never["next_run"] == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)


def _runs(session: Session, kind: str) -> list[SyncRun]:
    session.rollback()
    return list(session.exec(select(SyncRun).where(SyncRun.kind == kind)))


def test_jobs_without_a_run_record_of_their_own_now_record_one(cli, session, old_usage, tmp_path) -> None:  # noqa: F811
    assert cli("purge", "sessions", "--dry-run").exit_code == 0
    assert _runs(session, "sessions_purge") == []  # a dry run is not a run
    assert cli("purge", "sessions").exit_code == 0
    [run] = _runs(session, "sessions_purge")
    assert (run.status, run.counts, run.triggered_by) == ("succeeded", {"deleted": 0}, "cli")
    assert cli("purge", "usage", "--days", "0").exit_code == 2
    assert _runs(session, "usage_purge") == []  # refused input writes nothing
    assert cli("purge", "exports").exit_code == 0
    assert [r.status for r in _runs(session, "exports_purge")] == ["succeeded"]
    checkpoints = tmp_path / "checkpoints.jsonl"
    assert cli("audit", "checkpoint", "--to", str(checkpoints)).exit_code == 0
    assert [r.status for r in _runs(session, scheduled("audit_checkpoint").run_kinds[0])] == ["succeeded"]


def test_a_failing_job_records_a_failed_run(cli, session, tmp_path) -> None:  # noqa: F811
    from sqlalchemy import text

    cli("users", "add", "a@example.com", "admin")
    session.execute(text("UPDATE audit_events SET details = '{}' WHERE id = 1"))
    session.commit()
    assert cli("audit", "checkpoint", "--to", str(tmp_path / "c.jsonl")).exit_code == 1
    [run] = _runs(session, "audit_checkpoint")
    assert (run.status, run.error) == ("failed", "Ended with exit code 1")


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_sync_page_jobs_tab(run_page, make_user, freeze) -> None:
    freeze(NOW)
    at = run_page("app_pages/sync.py", make_user("admin"))
    assert not at.exception
    assert [t.label for t in at.tabs][:2] == ["Jobs", "Runs"]
    jobs = at.dataframe[0].value
    assert len(jobs) == len(SCHEDULE) and set(jobs["last_status"]) == {"Never run"}
    assert "None" not in " ".join(str(v) for v in jobs.to_numpy().ravel() if isinstance(v, str))
