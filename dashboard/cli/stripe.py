"""`python -m dashboard sync stripe [--full]`: mirror Stripe into the store."""

from __future__ import annotations

from typing import Annotated

import typer

from dashboard.billing.stripe_gateway import StripeGateway, StripeGatewayError
from dashboard.billing.stripe_sync import run_stripe_sync
from dashboard.cli import app, sync_app
from dashboard.cli.common import CLI_ACTOR, engine, exclusive_job, fail


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


@app.command("serve-webhooks")
def serve_webhooks(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8790,
) -> None:
    """Receive Stripe webhooks (POST /stripe/webhook), verified with STRIPE_WEBHOOK_SECRET."""
    import uvicorn

    from dashboard.billing.webhook_app import create_app
    from dashboard.core.settings import get_settings

    secret = get_settings().stripe_webhook_secret
    if secret is None or not secret.get_secret_value():
        fail("STRIPE_WEBHOOK_SECRET is not set.", code=2)
    try:
        gateway = StripeGateway.from_settings()
    except StripeGatewayError as error:
        fail(error.message, code=2)
    typer.echo(f"Receiving Stripe webhooks on http://{host}:{port}/stripe/webhook")
    uvicorn.run(create_app(engine(), gateway, secret.get_secret_value()), host=host, port=port)
