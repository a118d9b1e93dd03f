"""`python -m dashboard corrections resolve`: settle corrections whose Stripe outcome is not known yet.

Schedule it every few minutes. Each correction is claimed by a guarded UPDATE before anything is asked
or sent, so two runs at once (or a person clicking "Check now") never send the same one twice.
"""

from __future__ import annotations

import typer
from sqlalchemy import Engine

from dashboard.billing.corrections.workflow import resolve_all
from dashboard.billing.stripe_gateway import StripeGateway, StripeGatewayError
from dashboard.cli import corrections_app
from dashboard.cli.common import CLI_ACTOR, engine, exclusive_job, fail
from dashboard.core.db import session_scope
from models import SyncRun
from models.types import utcnow

RUN_KIND = "corrections_resolve"


@corrections_app.command("resolve")
def resolve_command() -> None:
    """Look in Stripe for every unknown (or stuck sending) correction, record what is there or send it
    again under the same key, and refresh mirrors whose re-read failed."""
    try:
        gateway = StripeGateway.from_settings()
    except StripeGatewayError as error:
        fail(error.message, code=2)
    store = engine()
    with exclusive_job("corrections resolve", run_kinds=(RUN_KIND,)):
        run_id = _start(store)
        try:
            report = resolve_all(store, gateway, CLI_ACTOR)
        except Exception as crash:
            _finish(store, run_id, error=f"{crash.__class__.__name__}: {crash}")
            raise
        _finish(store, run_id, message=report.line())
    typer.echo(f"Corrections resolved: {report.line()}.")


def _start(store: Engine) -> int:
    with session_scope(store) as session:
        run = SyncRun(kind=RUN_KIND, status="running", triggered_by=CLI_ACTOR.email)
        session.add(run)
        session.flush()
        return run.id or 0


def _finish(store: Engine, run_id: int, *, message: str = "", error: str | None = None) -> None:
    """The run's end is recorded whatever happened."""
    with session_scope(store) as session:
        run = session.get(SyncRun, run_id)
        if run is None:
            return
        run.status = "failed" if error else "succeeded"
        run.finished_at, run.message, run.error = utcnow(), message, error
        session.add(run)
