"""`purge exports`: delete the files of data exports past their expiry (schedule it daily)."""

from __future__ import annotations

import typer

from dashboard.cli import purge_app
from dashboard.cli.common import CLI_ACTOR, DryRun, job_run, unit_of_work
from dashboard.privacy.exports.service import purge_expired


@purge_app.command("exports")
def purge_exports_command(dry_run: DryRun = False) -> None:
    """Delete privacy export files past their expiry (EXPORT_EXPIRY_DAYS = 7) and those of builds
    interrupted more than a day ago; each is audited."""
    typer.echo("Deleting the files of exports past their expiry, and of builds interrupted over a day ago.")
    with job_run("exports_purge", dry_run=dry_run) as run, unit_of_work() as session:
        purged = purge_expired(session, CLI_ACTOR, dry_run=dry_run)
        run.counts = {"deleted": len(purged)}
    listed = f": {', '.join(map(str, purged))}." if purged else "."
    if dry_run:
        typer.echo(f"Dry run: {len(purged)} export(s) would be deleted{listed} Nothing was deleted.")
    else:
        typer.echo(f"{len(purged)} expired export(s) deleted{listed}")
