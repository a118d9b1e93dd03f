"""`python -m dashboard sync zendesk`: app installations from every enabled Zendesk connection."""

from __future__ import annotations

import typer

from dashboard.cli import sync_app
from dashboard.cli.common import CLI_ACTOR, unit_of_work
from dashboard.zendesk_sync import gateway_from_settings, sync_installations


@sync_app.command("zendesk")
def sync_zendesk() -> None:
    """Sync app installations; exit 1 when any Zendesk account failed (the others are still synced)."""

    def show(done: int, total: int, subdomain: str) -> None:
        if subdomain:
            typer.echo(f"  [{done + 1}/{total}] {subdomain}")

    with unit_of_work() as session:
        result = sync_installations(session, gateway_from_settings(), actor=CLI_ACTOR, progress=show)
    for outcome in result.outcomes:
        mark = "ok " if outcome.ok else "ERR"
        typer.echo(f"{mark} {outcome.subdomain}: {outcome.message}")
    typer.echo(f"Sync run {result.run_id}: {result.status} ({len(result.outcomes)} account(s)).")
    if result.failed:
        raise typer.Exit(1)
