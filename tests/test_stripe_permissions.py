"""A restricted Stripe key without the Read permissions a sync needs: the run says every one missing."""

from __future__ import annotations

from sqlalchemy import Engine

from dashboard.billing.stripe_gateway import StripeGateway
from dashboard.billing.stripe_sync import run_stripe_sync
from dashboard.simulators.stripe import StripeSimulator


def test_a_key_without_events_and_invoices_read_fails_naming_both(
    engine: Engine, fake_stripe: StripeSimulator, stripe_gateway: StripeGateway
) -> None:
    fake_stripe.fail_next(r"GET /v1/events$", status=403, times=5)
    fake_stripe.fail_next(r"GET /v1/invoices$", status=403, times=5)

    result = run_stripe_sync(engine, stripe_gateway, full=True)

    assert result.status == "failed"
    assert "may not read: Events, Invoices." in result.error
    assert "Developers → API keys" in result.error
    assert fake_stripe.calls["GET /v1/customers"] == 1  # probed once; nothing was synced


def test_a_403_on_a_permitted_key_keeps_stripes_own_message(
    engine: Engine, fake_stripe: StripeSimulator, stripe_gateway: StripeGateway
) -> None:
    fake_stripe.fail_next(r"GET /v1/events$", status=403, times=1)  # a passing refusal: the probe succeeds

    result = run_stripe_sync(engine, stripe_gateway, full=True)

    assert result.status == "failed"
    assert result.error.startswith("GET /v1/events: The Stripe key lacks a permission")
