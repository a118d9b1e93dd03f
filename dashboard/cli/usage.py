"""`ingest usage FILE`, `purge usage` and `partitions usage`: the scheduled usage jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dashboard.cli import ingest_app, partitions_app, purge_app
from dashboard.cli.common import CLI_ACTOR, DryRun, fail, job_run, unit_of_work
from dashboard.core import audit, clock
from dashboard.core.settings import get_settings
from dashboard.usage.ingest import ingest_file, purge_rejects
from dashboard.usage.partitions import (
    MAX_MONTHS_AHEAD,
    MONTHS_AHEAD,
    drop_expired_partitions,
    ensure_partitions,
    is_partitioned,
    partition_name,
    validate_months_ahead,
)
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


@partitions_app.command("usage")
def partitions_usage(
    months_ahead: Annotated[
        int, typer.Option(help=f"Partitions after this month's to have ready, 0-{MAX_MONTHS_AHEAD}")
    ] = MONTHS_AHEAD,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be made and dropped; change nothing")
    ] = False,
) -> None:
    """PostgreSQL: make the monthly partitions of usage events ahead of time, and drop the months past
    retention (USAGE_RETENTION_DAYS, when USAGE_RETENTION_MODE is delete). Bad arguments exit 2 first."""
    settings = get_settings()
    with job_run("usage_partitions", dry_run=dry_run) as run, unit_of_work() as session:
        validate_months_ahead(months_ahead)
        if not is_partitioned(session.connection()):
            typer.echo("Usage events are not partitioned in this store (SQLite): nothing to do.")
            return
        now = clock.now()
        made = ensure_partitions(session, today=now.date(), months_ahead=months_ahead, dry_run=dry_run)
        dropped = []
        if settings.usage_retention_mode == RetentionMode.DELETE:
            cutoff = retention_cutoff(now, settings.usage_retention_days)
            dropped = drop_expired_partitions(session, cutoff=cutoff, dry_run=dry_run)
        run.counts = {"created": len(made), "dropped": len(dropped), "events": sum(p.events for p in dropped)}
        if not dry_run:
            audit.record(
                session,
                CLI_ACTOR,
                "usage.partitions",
                target_type="usage_events",
                details={
                    "created": [partition_name(month) for month in made],
                    "dropped": [partition_name(p.month) for p in dropped],
                    "events": run.counts["events"],
                },
            )
    verb = ("would be made", "would be dropped") if dry_run else ("made", "dropped")
    typer.echo(f"Partitions {verb[0]}: {', '.join(map(partition_name, made)) or 'none'}.")
    for partition in dropped:
        typer.echo(f"Partition {partition_name(partition.month)} {verb[1]} ({partition.events} raw events).")
    if not dropped:
        typer.echo(f"Partitions {verb[1]}: none.")
    if dry_run:
        typer.echo("Dry run: nothing was changed.")


_PLANS = {
    RetentionMode.DELETE: "Deleting raw usage events",
    RetentionMode.TRUNCATE_IP: "Truncating the IP addresses of raw usage events",
}
