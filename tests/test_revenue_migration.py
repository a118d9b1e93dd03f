"""Revision 0006 keeps the exchange rates an existing store already has (from the old schema, with data)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from alembic import command
from sqlalchemy import Engine, text

from dashboard.core.db import alembic_config, migrate
from tests.test_migrations import _schema_diff, empty_engine  # noqa: F401  (the fixture)


def _upgrade(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_existing_rates_become_the_rate_of_the_day_they_were_set(empty_engine: Engine) -> None:  # noqa: F811
    _upgrade(empty_engine, "0001")
    set_at = datetime(2026, 10, 3, 9, 30, tzinfo=UTC)
    stored = set_at if empty_engine.dialect.name == "postgresql" else set_at.replace(tzinfo=None)
    with empty_engine.begin() as conn:
        for currency, rate in (("eur", "1.08"), ("gbp", "1.27")):
            conn.execute(
                text(
                    "INSERT INTO fx_rates (currency, rate, updated_at, updated_by) "
                    "VALUES (:c, CAST(:r AS NUMERIC(18, 8)), :u, 'ann')"
                ),
                {"c": currency, "r": rate, "u": stored},
            )
    migrate(empty_engine)
    with empty_engine.connect() as conn:
        rows = conn.execute(
            text("SELECT currency, day, rate, source, updated_by FROM fx_rates ORDER BY currency")
        ).all()
    assert [(c, str(d)[:10], Decimal(str(r)), s, u) for c, d, r, s, u in rows] == [
        ("eur", "2026-10-03", Decimal("1.08"), "migrated", "ann"),
        ("gbp", "2026-10-03", Decimal("1.27"), "migrated", "ann"),
    ]
    assert _schema_diff(empty_engine) == []
    # Two days for EUR; going back keeps the newest one per currency.
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO fx_rates (currency, day, rate, source, updated_at, updated_by) "
                "VALUES ('eur', :d, 1.10, 'csv', :u, 'ann')"
            ),
            {"d": date(2026, 11, 30), "u": stored},
        )
    config = alembic_config()
    with empty_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    with empty_engine.connect() as conn:
        back = conn.execute(text("SELECT currency, rate FROM fx_rates ORDER BY currency")).all()
    assert [(c, Decimal(str(r))) for c, r in back] == [("eur", Decimal("1.10")), ("gbp", Decimal("1.27"))]
