"""`python -m dashboard sync stripe` against the fake server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from dashboard.cli import app
from dashboard.core.settings import reset_settings_cache
from dashboard.simulators.stripe import TEST_KEY, StripeSimulator
from models import StripeCustomer


@pytest.fixture
def cli_env(
    engine: Engine, fake_stripe: StripeSimulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("STRIPE_API_BASE", fake_stripe.url)
    monkeypatch.setenv("STRIPE_MAX_NETWORK_RETRIES", "0")
    fake_stripe.add_customer(email="cli@example.com")
    yield engine
    reset_settings_cache()


def test_sync_stripe_full(cli_env: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", TEST_KEY)
    reset_settings_cache()
    result = CliRunner().invoke(app, ["sync", "stripe", "--full"])
    assert result.exit_code == 0, result.output
    assert "customers: seen 1, created 1" in result.output
    with Session(cli_env) as session:
        assert session.exec(select(StripeCustomer.email)).all() == ["cli@example.com"]


def test_sync_stripe_bad_key(cli_env: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_wrong")
    reset_settings_cache()
    result = CliRunner().invoke(app, ["sync", "stripe"])
    assert result.exit_code == 1
    assert "authentication failed" in result.output
    with Session(cli_env) as session:
        assert session.exec(select(StripeCustomer)).all() == []


def test_serve_webhooks_needs_the_secret_and_listens_on_localhost(
    cli_env: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    monkeypatch.setenv("STRIPE_API_KEY", TEST_KEY)
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET", raising=False)
    reset_settings_cache()
    result = CliRunner().invoke(app, ["serve-webhooks"])
    assert result.exit_code == 2 and "STRIPE_WEBHOOK_SECRET is not set" in result.output
    started = {}
    monkeypatch.setattr(uvicorn, "run", lambda asgi, **kw: started.update(kw, app=asgi))
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_cli_secret_value")
    reset_settings_cache()
    result = CliRunner().invoke(app, ["serve-webhooks", "--port", "8799"])
    assert result.exit_code == 0, result.output
    assert (started["host"], started["port"]) == ("127.0.0.1", 8799) and started["app"] is not None
    assert "whsec_cli_secret_value" not in result.output
