"""Admin chores: migrate, seed the demo data, manage users and their sessions, verify the audit chain."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from dashboard.access import auth, sessions, users
from dashboard.cli import app, audit_app, purge_app, users_app
from dashboard.cli.common import CLI_ACTOR, DryRun, engine, fail, job_run, unit_of_work
from dashboard.core import audit, audit_checkpoints, clock
from dashboard.core.db import is_empty
from dashboard.core.settings import get_settings
from models.system import ROLES

RoleName = StrEnum("RoleName", {role: role for role in ROLES})


class DemoSizeName(StrEnum):
    small = "small"
    large = "large"


@app.command()
def migrate() -> None:
    """Create or upgrade the schema to the newest revision."""
    engine()
    typer.echo("Schema is up to date.")


@app.command("seed-demo")
def seed_demo(
    size: Annotated[DemoSizeName, typer.Option(help="small (seconds) or large")] = DemoSizeName.small,
) -> None:
    """Fill the empty demo store with deterministic demo data (its logins have the README's password)."""
    from dashboard.demo import seed_demo as run_seed

    if not get_settings().is_demo_store:
        fail(
            "Demo data goes only into the demo store (the default SQLite file with AUTO_SEED_DEMO on): "
            "it adds logins whose password is in the README.",
            code=2,
        )
    eng = engine()
    if not is_empty(eng):
        fail("The store already has data; demo data goes only into an empty store.")
    started = time.perf_counter()
    timings = run_seed(eng, size.value, progress=lambda step, secs: typer.echo(f"  {step}: {secs:.1f}s"))
    typer.echo(
        f"Seeded the {size.value} demo data in {time.perf_counter() - started:.1f}s ({len(timings)} steps)."
    )


@users_app.command("add")
def users_add(
    email: str,
    role: RoleName,
    name: Annotated[str, typer.Option(help="Display name")] = "",
    password: Annotated[bool, typer.Option("--password", help="Prompt for a local sign-in password")] = False,
) -> None:
    """Add a console user."""
    secret = typer.prompt("Password", hide_input=True, confirmation_prompt=True) if password else None
    with unit_of_work() as session:
        user = users.add_user(session, CLI_ACTOR, email=email, role=role.value, name=name, password=secret)
        typer.echo(f"Added {user.email} as {user.role}.")


def _user_id(session: Session, email: str) -> int:
    from dashboard.access.auth import find_user

    user = find_user(session, email)
    if user is None:
        fail(f"No user with email {email}.", code=2)
    return user.id


@users_app.command("set-role")
def users_set_role(email: str, role: RoleName) -> None:
    """Change a user's role."""
    with unit_of_work() as session:
        users.set_role(session, CLI_ACTOR, user_id=_user_id(session, email), role=role.value)
        typer.echo(f"{email} is now {role.value}.")


@users_app.command("deactivate")
def users_deactivate(email: str) -> None:
    """Deactivate a user (they can no longer sign in)."""
    with unit_of_work() as session:
        users.set_active(session, CLI_ACTOR, user_id=_user_id(session, email), active=False)
        typer.echo(f"{email} is deactivated.")


def _verified_chain(session: Session) -> int:
    """Rows in the intact chain; exit 1 naming the first broken row."""
    report = audit.verify_chain(session)
    if not report.ok:
        fail(
            f"Audit chain broken at row {report.broken_at_id}: {report.problem} "
            f"({report.rows_checked} rows verified before it)."
        )
    return report.rows_checked


@audit_app.command("verify")
def audit_verify(
    checkpoints: Annotated[
        Path | None, typer.Option(help="Checkpoint file written by `audit checkpoint` (detects truncation)")
    ] = None,
) -> None:
    """Check the keyed audit chain, and with --checkpoints that every checkpointed head is still there;
    exit 1 naming the first problem."""
    with unit_of_work() as session:
        pinned = audit_checkpoints.read_checkpoints(checkpoints) if checkpoints else []
        rows = _verified_chain(session)
        problem = audit_checkpoints.check_checkpoints(session, pinned)
    if problem:
        fail(f"Audit log does not match the checkpoints in {checkpoints}: {problem}.")
    suffix = f", matching {len(pinned)} checkpoint(s)" if checkpoints else ""
    typer.echo(f"Audit chain intact: {rows} rows verified{suffix}.")


@audit_app.command("checkpoint")
def audit_checkpoint(
    to: Annotated[Path, typer.Option(help="File to append the signed checkpoint to (append-only storage)")],
) -> None:
    """Verify the chain, then append a signed checkpoint of its head to a file outside the store."""
    with job_run("audit_checkpoint") as run:
        with unit_of_work() as session:
            _verified_chain(session)
            checkpoint = audit_checkpoints.current_checkpoint(session, at=clock.now())
        audit_checkpoints.append_checkpoint(to, checkpoint)
        run.counts = {"last_row": checkpoint.last_id}
    typer.echo(f"Checkpoint of row {checkpoint.last_id} appended to {to}.")


@purge_app.command("sessions")
def purge_sessions(dry_run: DryRun = False) -> None:
    """Delete ended sign-in sessions (signed out, revoked, idle, expired); sign-ins stay in the audit log."""
    typer.echo("Deleting sign-in sessions that are signed out, revoked, idle or past their lifetime.")
    with job_run("sessions_purge", dry_run=dry_run) as run, unit_of_work() as session:
        deleted = sessions.purge_ended_sessions(session, CLI_ACTOR, dry_run=dry_run)
        run.counts = {"deleted": deleted}
    if dry_run:
        typer.echo(f"Dry run: {deleted} ended session(s) would be deleted; nothing was deleted.")
    else:
        typer.echo(f"{deleted} ended session(s) deleted.")


@purge_app.command("login-throttles")
def purge_login_throttles(dry_run: DryRun = False) -> None:
    """Delete sign-in throttle rows that no longer change any answer (unlocked, and their last failure
    past LOGIN_FAILURE_WINDOW_MINUTES or a lock since); schedule it daily."""
    typer.echo("Deleting sign-in throttles whose failures have lapsed (they answer as an email never tried).")
    with job_run("login_throttles_purge", dry_run=dry_run) as run, unit_of_work() as session:
        deleted = auth.purge_login_throttles(session, CLI_ACTOR, now=clock.now(), dry_run=dry_run)
        run.counts = {"deleted": deleted}
    if dry_run:
        typer.echo(f"Dry run: {deleted} lapsed throttle(s) would be deleted; nothing was deleted.")
    else:
        typer.echo(f"{deleted} lapsed throttle(s) deleted.")
