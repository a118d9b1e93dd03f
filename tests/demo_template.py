"""The small demo, built once per test worker, backend, seed and instant, then copied into each test's
empty store: a build is 8–20 s of CPU (one per test made the demo tests a fifth of the suite), a copy is
well under one. A copy holds exactly the rows `seed_demo` wrote, so a test sees what a build gives."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from dashboard.core.keys import Keys
from dashboard.core.settings import get_settings
from dashboard.demo import seed_demo
from dashboard.demo.context import default_now

DEMO_SEED = 20261122  # seed_demo's default
# The instant of the demo tests that state one; any instant would do, one means one build.
DEMO_NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


@dataclass(frozen=True)
class _PostgresCopy:
    tables: tuple[tuple[str, bytes], ...]  # (table, its rows in COPY's binary format), parents first
    sequences: tuple[tuple[str, int, bool], ...]  # (sequence, last_value, is_called)


_SEQUENCES = "SELECT schemaname || '.' || sequencename, last_value, last_value IS NOT NULL FROM pg_sequences"


class DemoTemplates:
    """`seed(engine)` fills an empty, migrated store with the small demo: built the first time for a
    backend, seed, instant and set of keys, copied from that build after."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._kept: dict[tuple[str, int, datetime, Keys], Path | _PostgresCopy] = {}

    def seed(self, engine: Engine, *, now: datetime | None = None, seed: int = DEMO_SEED) -> None:
        """Seed `engine`'s store as `seed_demo(engine, "small", seed=, now=)` would (without `now`: as of
        noon today, the console clock's today, like the console's first start)."""
        now = now or default_now()
        # The audit chain and stored secrets depend on the keys a test may have changed: a build is
        # only reused under the keys it was made with.
        key = (engine.dialect.name, seed, now, get_settings().keys)
        kept = self._kept.get(key)
        if kept is None:
            seed_demo(engine, "small", seed=seed, now=now)
            self._kept[key] = self._keep(engine, len(self._kept))
        elif isinstance(kept, Path):
            _restore_sqlite(engine, kept)
        else:
            _restore_postgres(engine, kept)

    def _keep(self, engine: Engine, number: int) -> Path | _PostgresCopy:
        if engine.dialect.name == "sqlite":
            path = self._folder / f"demo-{number}.sqlite3"
            with sqlite3.connect(path) as target:
                _sqlite_connection(engine, lambda source: source.backup(target))
            return path
        return _copy_out_postgres(engine)


def _sqlite_connection(engine: Engine, use) -> None:
    raw = engine.raw_connection()
    try:
        use(raw.driver_connection)
    finally:
        raw.close()


def _restore_sqlite(engine: Engine, path: Path) -> None:
    with sqlite3.connect(path) as source:
        _sqlite_connection(engine, lambda target: source.backup(target))


def _copy_out_postgres(engine: Engine) -> _PostgresCopy:
    tables = []
    with engine.connect() as conn, conn.connection.driver_connection.cursor() as cursor:
        for table in SQLModel.metadata.sorted_tables:
            # COPY (SELECT …): a partitioned table can only be copied out through a query
            with cursor.copy(f'COPY (SELECT * FROM "{table.name}") TO STDOUT (FORMAT BINARY)') as copy:
                tables.append((table.name, b"".join(bytes(block) for block in copy)))
        sequences = conn.execute(text(_SEQUENCES)).all()
    return _PostgresCopy(
        tuple(tables), tuple((name, value or 1, called) for name, value, called in sequences)
    )


def _restore_postgres(engine: Engine, kept: _PostgresCopy) -> None:
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # rows of a table in any order
        cursor = conn.connection.driver_connection.cursor()
        for name, rows in kept.tables:
            with cursor.copy(f'COPY "{name}" FROM STDIN (FORMAT BINARY)') as copy:
                copy.write(rows)
        for name, value, called in kept.sequences:
            conn.execute(
                text("SELECT setval(:name, :value, :called)"),
                {"name": name, "value": value, "called": called},
            )
