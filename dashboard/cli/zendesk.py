"""`python -m dashboard sync zendesk`: app installations from every enabled Zendesk connection."""

from __future__ import annotations

import typer

from dashboard.cli import sync_app
from dashboard.cli.common import CLI_ACTOR, engine, exclusive_job, fail
from dashboard.zendesk.sync import gateway_from_settings, run_zendesk_sync


@sync_app.command("zendesk")
def sync_zendesk() -> None:
    """Sync app installations; exit 1 when any Zendesk account failed (the others are still synced)."""

    def show(done: int, total: int, subdomain: str) -> None:
        if subdomain:
            typer.echo(f"  [{done + 1}/{total}] {subdomain}")

    with exclusive_job():
        result = run_zendesk_sync(engine(), gateway_from_settings(), actor=CLI_ACTOR, progress=show)
    if result.error:
        fail(f"Zendesk sync run {result.run_id} failed: {result.error}")
    for outcome in result.outcomes:
        mark = "ok " if outcome.ok else "ERR"
        typer.echo(f"{mark} {outcome.subdomain}: {outcome.message}")
    typer.echo(f"Sync run {result.run_id}: {result.status} ({len(result.outcomes)} account(s)).")
    if result.failed:
        raise typer.Exit(1)
