"""`ingest usage FILE` and `purge usage`: the scheduled usage jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dashboard.cli import ingest_app, purge_app
from dashboard.cli.common import CLI_ACTOR, fail, unit_of_work
from dashboard.settings import get_settings
from dashboard.usage.ingest import default_rejects_path, ingest_file
from dashboard.usage.retention import purge_usage


@ingest_app.command("usage")
def ingest_usage(
    file: Annotated[Path, typer.Argument(help="Events as .jsonl/.ndjson or .csv")],
    rejects: Annotated[Path | None, typer.Option(help="Bad rows file (default FILE.rejects.jsonl)")] = None,
) -> None:
    """Load usage events from a file; bad rows go to a rejects file with the reason."""
    if not file.is_file():
        fail(f"{file} is not a file")
    with unit_of_work() as session:
        result = ingest_file(session, file, actor=CLI_ACTOR, rejects_path=rejects)
    typer.echo(
        f"{result.received} rows: {result.inserted} new, {result.duplicates} already stored, "
        f"{len(result.rejected)} rejected; rollups refreshed for {len(result.days)} day(s)."
    )
    if result.rejected:
        typer.echo(f"Rejected rows and reasons: {rejects or default_rejects_path(file)}")


@purge_app.command("usage")
def purge_usage_command(
    days: Annotated[int | None, typer.Option(help="Keep raw events N days (default: settings)")] = None,
    mode: Annotated[str | None, typer.Option(help="delete | truncate_ip (default: settings)")] = None,
) -> None:
    """Apply the retention policy to raw usage events; rollups are kept."""
    settings = get_settings()
    with unit_of_work() as session:
        result = purge_usage(
            session,
            actor=CLI_ACTOR,
            days=days or settings.usage_retention_days,
            mode=mode or settings.usage_retention_mode,
        )
    verb = "deleted" if result.mode == "delete" else "had their IP address truncated"
    typer.echo(f"{result.events} raw events before {result.cutoff:%Y-%m-%d} {verb}.")
