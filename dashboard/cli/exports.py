"""`purge exports`: delete the files of data exports past their expiry (schedule it daily)."""

from __future__ import annotations

import typer

from dashboard.cli import purge_app
from dashboard.cli.common import CLI_ACTOR, unit_of_work
from dashboard.exports.service import purge_expired


@purge_app.command("exports")
def purge_exports_command() -> None:
    """Delete expired privacy export files (default expiry: EXPORT_EXPIRY_DAYS = 7); each is audited."""
    with unit_of_work() as session:
        purged = purge_expired(session, CLI_ACTOR)
    typer.echo(
        f"{len(purged)} expired export(s) deleted" + (f": {', '.join(map(str, purged))}." if purged else ".")
    )
