"""The Alembic migrations build the whole schema on an empty SQLite or PostgreSQL store, and agree
with the models (autogenerate finds nothing to add)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, SQLModel, select

import models  # noqa: F401
from dashboard.core.db import alembic_config, is_empty, make_engine, migrate
from dashboard.usage.partitions import autogenerate_filters


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request, tmp_path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
        yield engine
        engine.dispose()
        return
    # A schema of its own in the worker's database, not a database: DROP DATABASE forces a checkpoint of
    # the whole cluster, which took up to 86 s per test on a busy machine.
    url = request.getfixturevalue("postgres_url")  # skips, or fails in CI, when PostgreSQL is unreachable
    name = f"console_migr_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    engine = make_engine(f"{url}?options=-csearch_path%3D{name}")
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    admin.dispose()


def _schema_diff(engine: Engine) -> list:
    with engine.connect() as conn:
        opts = {"compare_type": True, **autogenerate_filters(conn.dialect.name)}
        context = MigrationContext.configure(conn, opts=opts)
        return compare_metadata(context, SQLModel.metadata)


def test_upgrade_on_an_empty_store_creates_every_table(empty_engine: Engine) -> None:
    assert is_empty(empty_engine)
    migrate(empty_engine)
    tables = set(inspect(empty_engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert "alembic_version" in tables
    assert is_empty(empty_engine)  # migrated but no users yet


def test_models_and_migrations_agree(empty_engine: Engine) -> None:
    migrate(empty_engine)
    assert _schema_diff(empty_engine) == []


def test_migrate_twice_is_harmless_and_downgrade_removes_everything(empty_engine: Engine) -> None:
    migrate(empty_engine)
    migrate(empty_engine)
    config = alembic_config()
    with empty_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    migrate(empty_engine)
    assert _schema_diff(empty_engine) == []


def test_indexes_for_the_pages_lookups_exist(empty_engine: Engine) -> None:
    migrate(empty_engine)
    inspector = inspect(empty_engine)
    audit_indexed = {tuple(ix["column_names"]) for ix in inspector.get_indexes("audit_events")}
    assert {("at",), ("actor",), ("action",), ("target_type", "target_id")} <= audit_indexed
    users_indexed = {tuple(ix["column_names"]) for ix in inspector.get_indexes("users")}
    assert ("email",) in users_indexed


# -- 0004: external ids and unbounded tables' keys 64-bit, upgraded from the 0001 schema with rows ----

INT32_MAX = 2**31 - 1
ZENDESK_INSTALLATION_ID = 36123457355201  # 14 digits
OLD_ROWS: dict[str, list[dict[str, object]]] = {
    "apps": [{"id": 1, "slug": "notes", "name": "Notes", "zendesk_app_id": INT32_MAX, "created_at": None}],
    "accounts": [
        {"id": 7, "company_name": "Acme", "zendesk_subdomain": "acme", "country": "DE", "created_at": None}
    ],
    "installations": [
        {
            "id": 3,
            "account_id": 7,
            "app_id": 1,
            "zendesk_installation_id": INT32_MAX - 1,
            "source": "zendesk",
            "state": "enabled",
            "plan_name": "Team",
            "paid": True,
            "has_unpaid_subscription": False,
            "has_incomplete_subscription": False,
            "stripe_subscription_id": "sub_1",
            "seats": 12,
            "settings": '{"title": "Notes"}',
        }
    ],
    "audit_events": [
        {
            "id": INT32_MAX,
            "at": None,
            "actor": "a@company.test",
            "actor_role": "admin",
            "action": "login",
            "target_type": "user",
            "target_id": "1",
            "account_id": 7,
            "details": "{}",
            "prev_hash": "0" * 64,
            "row_hash": "f" * 64,
        }
    ],
    "audit_chain_head": [{"id": 1, "last_id": INT32_MAX, "last_hash": "f" * 64}],
    "usage_daily_rollups": [
        {
            "id": 5,
            "day": "2026-11-01",
            "installation_id": 3,
            "account_id": 7,
            "app_id": 1,
            "feature": "search",
            "events": 40,
            "distinct_actors": 3,
        }
    ],
    "usage_actor_days": [
        {"id": 6, "day": "2026-11-01", "app_id": 1, "account_id": 7, "actor_hash": "ab" * 32}
    ],
}


def _upgrade(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _fill_old_schema(engine: Engine) -> None:
    with engine.begin() as conn:
        for table, rows in OLD_ROWS.items():
            for row in rows:
                values = {k: ("2026-11-01 10:00:00" if v is None else v) for k, v in row.items()}
                columns = ", ".join(values)
                conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES (:{', :'.join(values)})"), values)


def _every_row(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table (alembic_version aside), in a stable order."""
    tables = sorted(set(inspect(engine).get_table_names()) - {"alembic_version"})
    with engine.connect() as conn:
        return {
            table: sorted(tuple(map(repr, row)) for row in conn.execute(text(f"SELECT * FROM {table}")))
            for table in tables
        }


def test_upgrade_from_0001_keeps_every_row_and_takes_64_bit_ids(empty_engine: Engine) -> None:
    _upgrade(empty_engine, "0001")
    _fill_old_schema(empty_engine)
    before = _every_row(empty_engine)
    assert sum(map(len, before.values())) == sum(map(len, OLD_ROWS.values()))

    migrate(empty_engine)

    after = _every_row(empty_engine)
    # Later revisions only add tables, and 0010 keeps actor hashes as their first 16 bytes.
    hashed = [(*row[:-1], repr(b"\xab" * 16)) for row in before["usage_actor_days"]]
    assert {table: after[table] for table in before} == {**before, "usage_actor_days": hashed}
    assert _schema_diff(empty_engine) == []
    with empty_engine.begin() as conn:
        conn.execute(
            text("UPDATE installations SET zendesk_installation_id = :big WHERE id = 3"),
            {"big": ZENDESK_INSTALLATION_ID},
        )
        conn.execute(text("UPDATE apps SET zendesk_app_id = :big"), {"big": 2**40})
        conn.execute(text("UPDATE audit_chain_head SET last_id = :big"), {"big": 2**40})
        if empty_engine.dialect.name == "postgresql":  # the sequences widened too
            sequence = "pg_get_serial_sequence('audit_events', 'id')"
            conn.execute(text(f"SELECT setval({sequence}, :v)"), {"v": 2**40})
        conn.execute(
            text(
                "INSERT INTO audit_events (at, actor, actor_role, action, target_type, target_id, details,"
                " prev_hash, row_hash) VALUES ('2026-11-02 10:00:00', 'a', 'admin', 'x', '', '', '{}',"
                " :p, :r)"
            ),
            {"p": "f" * 64, "r": "e" * 64},
        )
        stored = conn.execute(text("SELECT zendesk_installation_id FROM installations")).scalar_one()
        newest = conn.execute(text("SELECT MAX(id) FROM audit_events")).scalar_one()
    assert stored == ZENDESK_INSTALLATION_ID
    assert newest > INT32_MAX


def test_a_store_the_sync_cannot_write_fails_that_account_only(empty_engine: Engine) -> None:
    """The bug 0004 fixes: on the 0001 schema PostgreSQL refuses a 14-digit installation id. The sync
    reports that account as `store` (its savepoint rolled back) and still syncs the other one."""
    from dashboard.access.identity import SYSTEM
    from dashboard.simulators.zendesk import ZendeskSimulator, installation
    from dashboard.zendesk import connections as zendesk_connections
    from dashboard.zendesk.gateway import ZendeskGateway
    from dashboard.zendesk.sync import sync_installations
    from models import App, Installation

    _upgrade(empty_engine, "0001")
    with ZendeskSimulator() as fake, Session(empty_engine) as session:
        session.add(App(slug="notes", name="Notes", zendesk_app_id=900001))
        fake.add_account("big", installations=[installation(id=ZENDESK_INSTALLATION_ID, app_id=900001)])
        fake.add_account("small", installations=[installation(id=17, app_id=900001)])
        for subdomain in ("big", "small"):
            zendesk_connections.add_connection(
                session, SYSTEM, subdomain=subdomain, email="api@company.test", token="good-token"
            )
        result = sync_installations(session, ZendeskGateway(api_base=fake.base_url, timeout=2), actor=SYSTEM)
        session.commit()
        stored = sorted(session.exec(select(Installation.zendesk_installation_id)).all())

    by_account = {outcome.subdomain: outcome for outcome in result.outcomes}
    assert by_account["small"].ok
    if empty_engine.dialect.name == "postgresql":
        assert (result.status, by_account["big"].error_kind) == ("partial", "store")
        assert "console's store refused" in by_account["big"].message
        assert stored == [17]
    else:  # SQLite's INTEGER was always 64-bit
        assert result.status == "succeeded"
        assert stored == [17, ZENDESK_INSTALLATION_ID]
