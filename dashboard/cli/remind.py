"""`remind privacy`: the daily digest of privacy requests that need someone (schedule it daily)."""

from __future__ import annotations

import typer
from sqlmodel import Session

from dashboard.cli import remind_app
from dashboard.cli.common import engine, exclusive_job
from dashboard.core import clock
from dashboard.core.mailer import MailError, SmtpSender
from dashboard.core.settings import get_settings
from dashboard.privacy.reminders import JOB_KIND, send_digests


@remind_app.command("privacy")
def remind_privacy_command(
    due_within_days: int | None = typer.Option(
        None, help="Also remind of requests due within this many days (PRIVACY_REMIND_DUE_WITHIN_DAYS)."
    ),
    client_wait_days: int | None = typer.Option(
        None,
        help="Processor requests waiting longer than this for the client (PRIVACY_REMIND_CLIENT_WAIT_DAYS).",
    ),
) -> None:
    """Email each assignee (and the privacy officers, for unassigned requests) one digest.

    Nothing is sent twice for the same request, person and day; failures are listed and make the exit
    code 1, and the next run tries them again.
    """
    settings = get_settings()
    try:
        sender, problem = SmtpSender(settings), None
    except MailError as error:
        sender, problem = None, str(error)
    with exclusive_job("remind privacy", run_kinds=(JOB_KIND,)), Session(engine()) as session:
        report = send_digests(
            session,
            sender,
            now=clock.now(),
            sender_address=settings.smtp_from,
            due_within_days=settings.privacy_remind_due_within_days
            if due_within_days is None
            else due_within_days,
            client_wait_days=settings.privacy_remind_client_wait_days
            if client_wait_days is None
            else client_wait_days,
            triggered_by="cli",
            not_configured=problem,
        )
    typer.echo(report.summary(), err=not report.ok)
    if not report.ok:
        raise typer.Exit(1)
