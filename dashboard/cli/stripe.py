"""`python -m dashboard sync stripe [--full]`: mirror Stripe into the store."""

from __future__ import annotations

from typing import Annotated

import typer

from dashboard.cli import sync_app
from dashboard.cli.common import CLI_ACTOR, engine, exclusive_job, fail
from dashboard.stripe_gateway import StripeGateway, StripeGatewayError
from dashboard.stripe_sync import run_stripe_sync


@sync_app.command("stripe")
def sync_stripe(
    full: Annotated[bool, typer.Option("--full", help="List everything, not just recent events")] = False,
) -> None:
    """Sync customers, plans, subscriptions, invoices, payments, refunds and credit notes from Stripe."""
    try:
        gateway = StripeGateway.from_settings()
    except StripeGatewayError as error:
        fail(error.message, code=2)
    with exclusive_job():
        result = run_stripe_sync(
            engine(),
            gateway,
            full=full,
            actor=CLI_ACTOR,
            progress=lambda message, _fraction: typer.echo(f"  {message}"),
        )
    if result.message:
        typer.echo(result.message)
    for resource, counts in result.counts.items():
        typer.echo(f"  {resource}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if result.status != "succeeded":
        fail(f"Stripe sync run {result.run_id} failed: {result.error}")
    typer.echo(f"Stripe sync run {result.run_id} ({result.kind}) succeeded.")
