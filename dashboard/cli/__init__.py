"""`python -m dashboard ...`: scheduled jobs and admin chores.

Command groups live in their own modules and attach to the groups defined here.
"""

from __future__ import annotations

import typer

app = typer.Typer(help="Apps Console jobs and admin chores.", no_args_is_help=True, add_completion=False)
sync_app = typer.Typer(help="Pull data from Stripe and Zendesk.", no_args_is_help=True)
ingest_app = typer.Typer(help="Load usage data.", no_args_is_help=True)
purge_app = typer.Typer(help="Retention jobs.", no_args_is_help=True)
users_app = typer.Typer(help="Console users.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
corrections_app = typer.Typer(help="Billing corrections.", no_args_is_help=True)
remind_app = typer.Typer(help="Reminder emails.", no_args_is_help=True)
partitions_app = typer.Typer(help="Table partitions (PostgreSQL).", no_args_is_help=True)
app.add_typer(sync_app, name="sync")
app.add_typer(ingest_app, name="ingest")
app.add_typer(purge_app, name="purge")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(corrections_app, name="corrections")
app.add_typer(remind_app, name="remind")
app.add_typer(partitions_app, name="partitions")

# Each module registers its commands on the groups above (one import a line).
from dashboard.cli import admin  # noqa: E402,F401,I001
from dashboard.cli import corrections  # noqa: E402,F401
from dashboard.cli import exports  # noqa: E402,F401
from dashboard.cli import remind  # noqa: E402,F401
from dashboard.cli import stripe  # noqa: E402,F401
from dashboard.cli import usage  # noqa: E402,F401
from dashboard.cli import zendesk  # noqa: E402,F401
