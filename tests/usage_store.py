"""A small known store for the usage tests: two accounts, two apps, three installations."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from models import (
    Account,
    App,
    AppDailyActives,
    Contact,
    Installation,
    UsageAccountMonth,
    UsageActorDay,
    UsageCohort,
    UsageDailyRollup,
    UsageFeatureDay,
    UsageFeatureMonth,
)

ROLLUP_MODELS = (
    UsageDailyRollup,
    UsageActorDay,
    UsageFeatureDay,
    UsageFeatureMonth,
    UsageAccountMonth,
    AppDailyActives,
    UsageCohort,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def add_installations(session: Session) -> dict[str, int]:
    session.add_all(
        [
            Account(id=1, company_name="Acme Labs", zendesk_subdomain="acme"),
            Account(id=2, company_name="Globex Retail", zendesk_subdomain="globex"),
            App(id=1, slug="tagger", name="Ticket Tagger"),
            App(id=2, slug="radar", name="SLA Radar"),
        ]
    )
    session.flush()
    session.add_all(
        [
            Installation(id=1, account_id=1, app_id=1, installed_at=datetime(2025, 1, 5, tzinfo=UTC)),
            Installation(id=2, account_id=2, app_id=1, installed_at=datetime(2025, 3, 5, tzinfo=UTC)),
            Installation(
                id=3,
                account_id=2,
                app_id=2,
                installed_at=datetime(2026, 10, 1, tzinfo=UTC),
                uninstalled_at=datetime(2026, 11, 20, tzinfo=UTC),
                state="uninstalled",
            ),
            Contact(account_id=1, name="Hannah Contact", email="hannah.contact@acme.example.com"),
        ]
    )
    session.commit()
    return {"acme_tagger": 1, "globex_tagger": 2, "globex_radar": 3}


def event(event_id: str, occurred_at: str, actor: str, feature: str = "apply_rule", **where: str) -> dict:
    return {
        "event_id": event_id,
        "occurred_at": occurred_at,
        "actor": actor,
        "feature": feature,
        "ip_address": "203.0.113.77",
        "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
        **where,
    }


def rollup_rows(session: Session) -> dict[str, list[tuple]]:
    """Every rollup table's rows without their ids, sorted: equal however the rows were (re)built."""
    snapshot = {}
    for model in ROLLUP_MODELS:
        columns = [column for column in model.__table__.columns if column.name != "id"]
        snapshot[model.__tablename__] = sorted(tuple(row) for row in session.exec(select(*columns)).all())
    return snapshot
