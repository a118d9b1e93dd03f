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
from sqlmodel import SQLModel

import models  # noqa: F401
from dashboard.db import alembic_config, is_empty, make_engine, migrate
from tests.conftest import PG_ADMIN_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request, tmp_path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
        yield engine
        engine.dispose()
        return
    request.getfixturevalue("postgres_url")  # skips, or fails in CI, when PostgreSQL is unreachable
    name = f"console_migr_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _schema_diff(engine: Engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
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
