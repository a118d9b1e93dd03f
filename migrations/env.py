"""Alembic environment: the URL comes from the caller's connection or from the console's settings."""

from alembic import context
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table)
from dashboard.core.db import make_engine
from dashboard.core.settings import get_settings
from dashboard.usage.partitions import autogenerate_filters

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(get_settings().effective_database_url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        **autogenerate_filters(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run `python -m dashboard migrate`.")
run_migrations_online()
