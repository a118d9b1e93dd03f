"""Zendesk installation sync against the fake Zendesk: several accounts, faults, uninstall detection."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from dashboard.access.identity import SYSTEM
from dashboard.core.errors import PermissionDenied, ValidationError
from dashboard.simulators.zendesk import ZendeskSimulator, installation
from dashboard.zendesk import connections as connections
from dashboard.zendesk.gateway import ZendeskGateway
from dashboard.zendesk.sync import sync_installations
from models import App, AuditEvent, Installation, SyncRun, ZendeskConnection

OURS, OTHER = 900001, 900002
DAY1 = datetime(2026, 5, 1, 9, tzinfo=UTC)
DAY2 = datetime(2026, 5, 2, 9, tzinfo=UTC)


@pytest.fixture
def world(session: Session, fake_zendesk: ZendeskSimulator):
    """Three connected Zendesk accounts: acme (paged), globex (429 once), initech (bad stored token)."""
    session.add_all(
        [
            App(slug="tagger", name="Tagger", zendesk_app_id=OURS),
            App(slug="radar", name="Radar", zendesk_app_id=OTHER),
        ]
    )
    fake_zendesk.add_account(
        "acme",
        token="acme-token-1",
        installations=[
            installation(id=1, app_id=OURS, seats=10, stripe_subscription_id="sub_1"),
            installation(id=2, app_id=OTHER, enabled=False, plan="Enterprise"),
            installation(id=3, app_id=123456),  # somebody else's app
        ],
    )
    globex = fake_zendesk.add_account(
        "globex",
        token="globex-token-1",
        installations=[installation(id=10, app_id=OURS, paid=False, plan=None)],
    )
    globex.fail_next(status=429, retry_after=1)
    fake_zendesk.add_account("initech", token="initech-right")
    for subdomain, token in (
        ("acme", "acme-token-1"),
        ("globex", "globex-token-1"),
        ("initech", "initech-wrong"),
    ):
        connections.add_connection(
            session, SYSTEM, subdomain=subdomain, email="api@company.test", token=token
        )
    session.commit()
    return ZendeskGateway(api_base=fake_zendesk.base_url, timeout=2, ratelimit_budget=10)


def _installations(session: Session) -> dict[int, Installation]:
    return {row.zendesk_installation_id: row for row in session.exec(select(Installation)).all()}


def test_sync_keeps_our_apps_from_every_account_and_reports_the_failing_one(
    session: Session, world: ZendeskGateway, fake_zendesk: ZendeskSimulator
) -> None:
    result = sync_installations(session, world, actor=SYSTEM, now=DAY1)
    session.commit()

    by_account = {o.subdomain: o for o in result.outcomes}
    assert result.status == "partial"
    assert (by_account["initech"].ok, by_account["initech"].error_kind) == (False, "auth")
    assert by_account["acme"].ok and by_account["globex"].ok
    assert by_account["acme"].requests == 1  # one envelope, as real Zendesk answers
    assert by_account["globex"].requests == 1 and len(fake_zendesk.calls_for("globex")) == 2  # 429 waited out

    rows = _installations(session)
    assert sorted(rows) == [1, 2, 10]
    assert (rows[1].state, rows[1].seats, rows[1].stripe_subscription_id, rows[1].plan_name) == (
        "enabled",
        10,
        "sub_1",
        "Team",
    )
    assert (rows[2].state, rows[2].plan_name) == ("disabled", "Enterprise")
    assert (rows[10].paid, rows[10].plan_name) == (False, "")

    run = session.get(SyncRun, result.run_id)
    assert run.status == "partial" and run.counts["totals"]["failed_accounts"] == 1
    assert "initech" in run.error
    initech = session.exec(select(ZendeskConnection).where(ZendeskConnection.subdomain == "initech")).one()
    assert "credentials" in initech.last_error and initech.last_synced_at is None
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "zendesk_sync")).one().target_id == str(
        run.id
    )


def test_an_installation_that_disappears_is_marked_uninstalled_on_the_next_sync(
    session: Session, world: ZendeskGateway, fake_zendesk: ZendeskSimulator
) -> None:
    sync_installations(session, world, actor=SYSTEM, now=DAY1)
    session.commit()
    fake_zendesk.accounts["acme"].installations = [installation(id=2, app_id=OTHER, enabled=True)]

    result = sync_installations(session, world, actor=SYSTEM, now=DAY2)
    session.commit()

    acme = next(o for o in result.outcomes if o.subdomain == "acme")
    assert (acme.uninstalled, acme.updated, acme.created) == (1, 1, 0)
    rows = _installations(session)
    assert (rows[1].state, rows[1].uninstalled_at) == ("uninstalled", DAY2)
    assert rows[2].state == "enabled"
    assert len(rows) == 3  # nothing deleted


def test_a_sync_that_finds_the_same_facts_changes_nothing_but_takes_an_imported_row_over(
    session: Session, world: ZendeskGateway
) -> None:
    sync_installations(session, world, actor=SYSTEM, now=DAY1)
    imported = _installations(session)[2]
    imported.source = "marketplace_csv"  # as if the Marketplace export had brought it in first
    session.add(imported)
    session.commit()

    again = sync_installations(session, world, actor=SYSTEM, now=DAY2)
    session.commit()
    acme = next(o for o in again.outcomes if o.subdomain == "acme")
    assert (acme.created, acme.updated, acme.uninstalled) == (0, 1, 0)  # the sync keeps it from now on
    assert _installations(session)[2].source == "zendesk"

    third = sync_installations(session, world, actor=SYSTEM, now=DAY2)
    assert [(o.subdomain, o.updated) for o in third.outcomes if o.ok] == [("acme", 0), ("globex", 0)]
    assert "0 new, 0 changed, 0 uninstalled" in session.get(SyncRun, third.run_id).message


def test_a_run_where_every_account_fails_is_failed(session: Session, fake_zendesk: ZendeskSimulator) -> None:
    fake_zendesk.add_account("acme", token="right-token")
    connections.add_connection(session, SYSTEM, subdomain="acme", email="a@b.test", token="wrong-token")
    gateway = ZendeskGateway(api_base=fake_zendesk.base_url, timeout=2)

    result = sync_installations(session, gateway, actor=SYSTEM)

    assert result.status == "failed"


def test_disabled_connections_are_not_synced(session: Session, world: ZendeskGateway) -> None:
    initech = next(c for c in connections.list_connections(session) if c.subdomain == "initech")
    connections.update_connection(session, SYSTEM, connection_id=initech.id, enabled=False)

    result = sync_installations(session, world, actor=SYSTEM)

    assert result.status == "succeeded"
    assert sorted(o.subdomain for o in result.outcomes) == ["acme", "globex"]


def test_tokens_are_stored_encrypted_and_never_shown(session: Session, make_user) -> None:
    admin = make_user("admin")
    view = connections.add_connection(
        session,
        admin,
        subdomain="https://Acme.zendesk.com/",
        email="API@acme.test",
        token="super-secret-token",
    )
    session.commit()

    stored = session.get(ZendeskConnection, view.id)
    assert view.subdomain == "acme" and view.has_token and not hasattr(view, "token")
    assert "super-secret-token" not in stored.token_encrypted
    audit_text = str([e.details for e in session.exec(select(AuditEvent)).all()])
    assert "super-secret-token" not in audit_text
    assert connections.enabled_credentials(session)[0].token == "super-secret-token"


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("subdomain", {"subdomain": "not a subdomain!", "email": "a@b.test", "token": "long-enough"}),
        ("email", {"subdomain": "acme", "email": "nope", "token": "long-enough"}),
        ("token", {"subdomain": "acme", "email": "a@b.test", "token": "short"}),
    ],
)
def test_bad_connection_input_is_refused_with_nothing_written(
    session: Session, make_user, field: str, values: dict[str, str]
) -> None:
    admin = make_user("admin")
    with pytest.raises(ValidationError) as caught:
        connections.add_connection(session, admin, **values)
    assert caught.value.field == field
    assert session.exec(select(ZendeskConnection)).all() == []


def test_only_admins_manage_connections(session: Session, make_user) -> None:
    with pytest.raises(PermissionDenied):
        connections.add_connection(
            session, make_user("account_manager"), subdomain="acme", email="a@b.test", token="long-enough"
        )


def test_cli_sync_reports_each_account_and_exits_1_when_one_failed(
    session: Session, world: ZendeskGateway, fake_zendesk: ZendeskSimulator, engine, monkeypatch, tmp_path
) -> None:
    from typer.testing import CliRunner

    from dashboard.cli import app
    from dashboard.core.settings import reset_settings_cache

    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ZENDESK_API_BASE", fake_zendesk.base_url)
    reset_settings_cache()
    try:
        result = CliRunner().invoke(app, ["sync", "zendesk"])
    finally:
        reset_settings_cache()

    assert result.exit_code == 1
    assert "ok  acme: 2 of ours: 2 new" in result.output
    assert "ERR initech: Zendesk GET /api/v2/apps/installations.json refused the credentials" in result.output
    assert "initech-wrong" not in result.output
    session.rollback()
    assert len(session.exec(select(Installation)).all()) == 3
