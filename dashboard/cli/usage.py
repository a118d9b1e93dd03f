"""`ingest usage FILE` and `purge usage`: the scheduled usage jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dashboard.cli import ingest_app, purge_app
from dashboard.cli.common import CLI_ACTOR, DryRun, fail, job_run, unit_of_work
from dashboard.core import clock
from dashboard.core.settings import get_settings
from dashboard.usage.ingest import ingest_file, purge_rejects
from dashboard.usage.retention import RetentionMode, purge_usage, retention_cutoff, validate_retention


@ingest_app.command("usage")
def ingest_usage(
    file: Annotated[Path, typer.Argument(help="Events as .jsonl/.ndjson or .csv")],
    rejects: Annotated[
        Path | None, typer.Option(help="Bad rows file (default DATA_DIR/usage-rejects/, purged with usage)")
    ] = None,
) -> None:
    """Load usage events from a file; bad rows go to a rejects file with the reason."""
    if not file.is_file():
        fail(f"{file} is not a file")
    with job_run("usage_ingest") as run, unit_of_work() as session:
        result = ingest_file(session, file, actor=CLI_ACTOR, rejects_path=rejects)
        run.counts = {
            "received": result.received,
            "inserted": result.inserted,
            "rejected": result.rejected_count,
        }
    typer.echo(
        f"{result.received} rows: {result.inserted} new, {result.duplicates} already stored, "
        f"{result.rejected_count} rejected; rollups refreshed for {len(result.days)} day(s)."
    )
    if result.rejected_count:
        typer.echo(f"Rejected rows and reasons: {result.rejects_path}")


@purge_app.command("usage")
def purge_usage_command(
    days: Annotated[
        int | None, typer.Option(help="Keep raw events N days, 1-36500 (default: settings)")
    ] = None,
    mode: Annotated[RetentionMode | None, typer.Option(help="default: USAGE_RETENTION_MODE")] = None,
    dry_run: DryRun = False,
) -> None:
    """Apply the retention policy to raw usage events; rollups are kept. Bad arguments exit 2 first."""
    settings = get_settings()
    days = settings.usage_retention_days if days is None else days
    mode_name = str(mode or settings.usage_retention_mode)
    with job_run("usage_purge", dry_run=dry_run) as run:
        with unit_of_work() as session:
            retention_mode = validate_retention(days, mode_name)
            now = clock.now()
            cutoff = retention_cutoff(now, days)
            typer.echo(f"{_PLANS[retention_mode]} before {cutoff:%Y-%m-%d} (keeping {days} days).")
            result = purge_usage(
                session, actor=CLI_ACTOR, days=days, mode=mode_name, now=now, dry_run=dry_run
            )
        files = purge_rejects(before=result.cutoff, dry_run=dry_run)  # files go once the rows are gone
        run.counts = {"events": result.events, "rejects_files": files}
    if result.dry_run:
        typer.echo(
            f"Dry run: {result.events} raw events would change and {files} ingest rejects file(s) "
            "would be deleted; nothing was changed."
        )
        return
    typer.echo(f"{files} ingest rejects file(s) from before {result.cutoff:%Y-%m-%d} deleted.")
    verb = "deleted" if result.mode is RetentionMode.DELETE else "had their IP address truncated"
    typer.echo(f"{result.events} raw events before {result.cutoff:%Y-%m-%d} {verb}.")


_PLANS = {
    RetentionMode.DELETE: "Deleting raw usage events",
    RetentionMode.TRUNCATE_IP: "Truncating the IP addresses of raw usage events",
}
