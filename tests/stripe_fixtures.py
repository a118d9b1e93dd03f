"""Fixtures: a started fake Stripe server and a gateway pointed at it (stopped after each test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dashboard.billing.stripe_gateway import StripeGateway
from dashboard.simulators.stripe import TEST_KEY, StripeSimulator


@pytest.fixture
def fake_stripe() -> Iterator[StripeSimulator]:
    fake = StripeSimulator().start()
    yield fake
    fake.stop()


@pytest.fixture
def stripe_gateway(fake_stripe: StripeSimulator) -> StripeGateway:
    """Two network retries, so fault tests run in seconds. The timeout is a busy machine's, not Stripe's:
    a page of 100 expanded objects can take seconds under load, and a retry there would be a false
    fault; tests of hangs make their own impatient gateway."""
    return StripeGateway(TEST_KEY, api_base=fake_stripe.url, max_network_retries=2, timeout=15.0)
