"""`python -m dashboard ...`: the commands work, and bad arguments give a clear message and exit code."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from dashboard.access import auth, sessions
from dashboard.cli import app
from dashboard.core import clock
from dashboard.core.settings import PROJECT_ROOT, get_settings, reset_settings_cache
from models import Account, AuditEvent, LoginSession, LoginThrottle, UsageEvent, User

runner = CliRunner()


@pytest.fixture
def cli(engine, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    reset_settings_cache()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), input=input)

    yield invoke
    reset_settings_cache()


def _users(session: Session) -> dict[str, str]:
    session.rollback()
    return {u.email: u.role for u in session.exec(select(User))}


def test_users_add_set_role_and_deactivate(cli, session) -> None:
    assert cli("users", "add", "Boss@Example.com", "admin", "--name", "Boss").exit_code == 0
    result = cli(
        "users",
        "add",
        "pia@example.com",
        "privacy_officer",
        "--password",
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert _users(session) == {"boss@example.com": "admin", "pia@example.com": "privacy_officer"}
    assert session.exec(select(User).where(User.email == "pia@example.com")).one().password_hash
    assert cli("users", "set-role", "pia@example.com", "executive").exit_code == 0
    assert cli("users", "deactivate", "PIA@example.com").exit_code == 0
    session.rollback()
    pia = session.exec(select(User).where(User.email == "pia@example.com")).one()
    assert (pia.role, pia.active) == ("executive", False)
    actions = session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["user_added", "user_added", "user_role_changed", "user_deactivated"]
    assert session.exec(select(AuditEvent.actor)).first() == "cli"


def test_bad_email_exits_2_and_writes_nothing(cli, session) -> None:
    result = cli("users", "add", "not-an-email", "admin")
    assert result.exit_code == 2
    assert "valid email" in result.output
    assert _users(session) == {}


def test_unknown_role_is_rejected(cli, session) -> None:
    result = cli("users", "add", "a@example.com", "superuser")
    assert result.exit_code == 2
    assert "superuser" in result.output
    assert _users(session) == {}


def test_duplicate_user_and_unknown_user_exit_2(cli) -> None:
    assert cli("users", "add", "a@example.com", "admin").exit_code == 0
    assert cli("users", "add", "A@example.com", "executive").exit_code == 2
    missing = cli("users", "set-role", "ghost@example.com", "admin")
    assert missing.exit_code == 2 and "No user with email" in missing.output


def test_last_admin_cannot_be_deactivated_from_the_cli(cli, session) -> None:
    cli("users", "add", "only@example.com", "admin")
    result = cli("users", "deactivate", "only@example.com")
    assert result.exit_code == 2 and "last active admin" in result.output
    assert session.exec(select(User.active)).one() is True


def test_audit_verify_passes_then_fails_when_a_row_is_altered(cli, session) -> None:
    cli("users", "add", "a@example.com", "admin")
    cli("users", "add", "b@example.com", "executive")
    ok = cli("audit", "verify")
    assert ok.exit_code == 0 and "2 rows verified" in ok.output
    session.execute(text("UPDATE audit_events SET details = '{}' WHERE id = 1"))
    session.commit()
    broken = cli("audit", "verify")
    assert broken.exit_code == 1
    assert "broken at row 1" in broken.output


def test_audit_checkpoint_then_verify_detects_a_truncated_and_rewound_log(cli, session, tmp_path) -> None:
    checkpoints = tmp_path / "checkpoints.jsonl"
    for n in range(4):
        cli("users", "add", f"u{n}@example.com", "admin")
    taken = cli("audit", "checkpoint", "--to", str(checkpoints))
    assert taken.exit_code == 0 and "Checkpoint of row 4 appended" in taken.output
    ok = cli("audit", "verify", "--checkpoints", str(checkpoints))
    assert ok.exit_code == 0 and "4 rows verified, matching 1 checkpoint(s)" in ok.output
    session.execute(text("DELETE FROM audit_events WHERE id > 2"))
    kept = session.execute(text("SELECT row_hash FROM audit_events WHERE id = 2")).scalar_one()
    session.execute(text("UPDATE audit_chain_head SET last_id = 2, last_hash = :h"), {"h": kept})
    session.commit()
    assert cli("audit", "verify").exit_code == 0  # the chain alone cannot see it
    caught = cli("audit", "verify", "--checkpoints", str(checkpoints))
    assert caught.exit_code == 1 and "row 4, the head at the checkpoint" in caught.output


def test_audit_checkpoint_refuses_a_broken_chain_and_verify_a_missing_file(cli, session, tmp_path) -> None:
    checkpoints = tmp_path / "checkpoints.jsonl"
    cli("users", "add", "a@example.com", "admin")
    session.execute(text("UPDATE audit_events SET details = '{}' WHERE id = 1"))
    session.commit()
    refused = cli("audit", "checkpoint", "--to", str(checkpoints))
    assert refused.exit_code == 1 and not checkpoints.exists()
    missing = cli("audit", "verify", "--checkpoints", str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 2 and "is not a file" in missing.output


@pytest.mark.parametrize("missing", ["SECRET_KEY", "AUDIT_KEY", "USAGE_ACTOR_HASH_KEY"])
def test_a_non_demo_store_without_a_key_refuses_every_command(cli, session, monkeypatch, missing) -> None:
    monkeypatch.delenv(missing)
    reset_settings_cache()
    result = cli("users", "add", "a@example.com", "admin")
    assert result.exit_code == 2 and f"{missing} is not set" in result.output
    monkeypatch.setenv(missing, "dev-only-secret-key-change-me")
    reset_settings_cache()
    result = cli("migrate")
    assert result.exit_code == 2 and f"{missing} is the old built-in public value" in result.output
    assert _users(session) == {}


def _plain(output: str) -> str:
    """The words of a message, without the box and line breaks Typer draws around errors."""
    return " ".join(output.replace("│", " ").split())


def _usage_events(session: Session) -> int:
    session.rollback()
    return session.exec(select(func.count()).select_from(UsageEvent)).one()


@pytest.fixture
def old_usage(session: Session) -> int:
    """Five events, three of them older than 30 days before the frozen clock."""
    from dashboard.access.identity import SYSTEM
    from dashboard.usage.ingest import ingest_events
    from tests.usage_store import NOW, add_installations, event

    add_installations(session)
    days = ["2026-10-20", "2026-10-21", "2026-10-22", "2026-11-20", "2026-11-21"]
    records = [event(f"e{n}", f"{day}T10:00:00Z", f"u{n}", installation_id="1") for n, day in enumerate(days)]
    ingest_events(session, records, actor=SYSTEM, now=NOW)
    session.commit()
    return len(records)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "0"], "between 1 and 36500 days, not 0"),
        (["--days", "1000000"], "between 1 and 36500 days, not 1000000"),
        (["--days", "-5"], "not -5"),
        (["--days", "ninety"], "unable to parse string as an integer"),
        (["--mode", "shred"], "'shred' is not one of"),
    ],
)
def test_purge_usage_refuses_bad_arguments_with_exit_2_and_deletes_nothing(
    cli, session, old_usage, args, message
) -> None:
    with clock.frozen_at(datetime(2026, 11, 22, 12, tzinfo=UTC)):
        result = cli("purge", "usage", *args)
    assert result.exit_code == 2 and message in _plain(result.output)
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    assert _usage_events(session) == old_usage


def test_purge_usage_dry_run_says_what_would_go_then_the_real_run_deletes_it(cli, session, old_usage) -> None:
    with clock.frozen_at(datetime(2026, 11, 22, 12, tzinfo=UTC)):
        dry = cli("purge", "usage", "--days", "30", "--dry-run")
        assert dry.exit_code == 0, dry.output
        assert "Deleting raw usage events before 2026-10-23 (keeping 30 days)." in dry.output
        assert "Dry run: 3 raw events would change and 0 ingest rejects file(s)" in _plain(dry.output)
        assert _usage_events(session) == old_usage
        done = cli("purge", "usage", "--days", "30")
    assert done.exit_code == 0 and "3 raw events before 2026-10-23 deleted." in done.output
    assert _usage_events(session) == old_usage - 3


@pytest.fixture
def demo_cli(monkeypatch, tmp_path):
    """The CLI on the demo store (the default SQLite file in DATA_DIR), and an engine on that file."""
    from dashboard.core.db import make_engine, migrate

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    reset_settings_cache()
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'console.sqlite3'}")
    migrate(engine)
    yield (lambda *args: runner.invoke(app, list(args))), engine
    engine.dispose()
    reset_settings_cache()


def test_seed_demo_into_a_store_with_data_but_no_users_refuses_cleanly(demo_cli) -> None:
    invoke, engine = demo_cli
    with Session(engine) as session:
        session.add(Account(company_name="Already here", zendesk_subdomain="here"))
        session.commit()
    result = invoke("seed-demo", "--size", "small")
    assert result.exit_code == 1 and "already has data" in result.output
    assert isinstance(result.exception, SystemExit)  # a message, not an IntegrityError
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Account)).one() == 1
        assert session.exec(select(func.count()).select_from(User)).one() == 0


def test_seed_demo_refuses_a_store_that_is_not_the_demo_store(cli, session) -> None:
    result = cli("seed-demo", "--size", "small")
    assert result.exit_code == 2 and "only into the demo store" in _plain(result.output)
    assert session.exec(select(func.count()).select_from(User)).one() == 0
    assert session.exec(select(func.count()).select_from(Account)).one() == 0


def test_seed_demo_rejects_an_unknown_size(cli) -> None:
    assert cli("seed-demo", "--size", "huge").exit_code == 2


def test_migrate_reports_success(cli) -> None:
    result = cli("migrate")
    assert result.exit_code == 0 and "up to date" in result.output


def test_module_entry_point_runs_and_fails_on_no_command(tmp_path) -> None:
    env = {"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path), "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "dashboard", "--help"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "seed-demo" in done.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "dashboard", "users", "frobnicate"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2


def test_purge_sessions_deletes_ended_ones_and_audits_the_count(cli, session, make_user) -> None:
    actor = make_user("admin")
    ended, live = sessions.create_session(session, actor), sessions.create_session(session, actor)
    sessions.revoke(session, ended)
    session.commit()
    result = cli("purge", "sessions")
    assert result.exit_code == 0, result.output
    assert "1 ended session(s) deleted." in result.output
    session.rollback()
    assert session.exec(select(LoginSession.token_hash)).all() == [sessions.hash_token(live)]
    assert session.exec(select(AuditEvent.action).order_by(AuditEvent.id.desc())).first() == "sessions.purge"


def test_purge_login_throttles_validates_offers_a_dry_run_and_deletes_lapsed_rows(cli, session) -> None:
    now = clock.now()
    lapsed = now - timedelta(minutes=get_settings().login_failure_window_minutes + 1)
    for email, when in (("old@example.com", lapsed), ("recent@example.com", now)):
        auth.login_with_password(session, email, "wrong", now=when)
        session.commit()
    bad = cli("purge", "login-throttles", "--days", "0")
    assert bad.exit_code == 2 and _throttles(session) == 2
    dry = cli("purge", "login-throttles", "--dry-run")
    assert dry.exit_code == 0 and "Dry run: 1 lapsed throttle(s) would be deleted" in dry.output
    assert _throttles(session) == 2
    done = cli("purge", "login-throttles")
    assert done.exit_code == 0 and "1 lapsed throttle(s) deleted." in done.output
    assert _throttles(session) == 1
    assert session.exec(select(AuditEvent.action).order_by(AuditEvent.id.desc())).first() == (
        "login_throttles.purge"
    )


def _throttles(session: Session) -> int:
    session.rollback()
    return session.exec(select(func.count()).select_from(LoginThrottle)).one()
