"""Fast, duplicate-ignoring bulk insert of raw usage events on the raw DBAPI connection.

SQLite: one `INSERT OR IGNORE` executemany. PostgreSQL: COPY into a temporary table, then one
`INSERT ... ON CONFLICT DO NOTHING`: without a conflict target, so that each monthly partition's own
unique event_id index refuses a duplicate (dashboard/usage/partitions.py). Both run inside the caller's
transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, func, select

from models import UsageEvent

# The time is naive UTC text ("YYYY-MM-DD HH:MM:SS.ffffff", see sqlparts.utc_text).
EVENT_COLUMNS = (
    "event_id",
    "installation_id",
    "account_id",
    "app_id",
    "feature",
    "actor_hash",
    "occurred_at",
    "ip_address",
    "agent_id",
)
# The actor hash as its raw bytes (hashing.actor_digest); agent_id from agents.AgentDirectory.
EventRow = tuple[str, int, int, int, str, bytes, str, str | None, int | None]

_OCCURRED = EVENT_COLUMNS.index("occurred_at")


def insert_events(connection: Connection, rows: Sequence[EventRow]) -> int:
    """Insert rows, skipping event ids already stored; returns how many were new."""
    if not rows:
        return 0
    raw = connection.connection.driver_connection
    if connection.dialect.name == "sqlite":
        return _sqlite_insert(raw, rows)
    return _postgres_copy(raw, rows)


# SQLite's default 2 MB page cache makes every insert into the indexes a disk read; 256 MB keeps
# the index pages of a bulk load in memory (per connection, only allocated as used).
SQLITE_BULK_CACHE_KIB = 262_144


def _sqlite_insert(raw, rows: Sequence[EventRow]) -> int:
    placeholders = ", ".join("?" for _ in EVENT_COLUMNS)
    cursor = raw.cursor()
    cursor.execute(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}")
    cursor.executemany(
        f"INSERT OR IGNORE INTO usage_events ({', '.join(EVENT_COLUMNS)}) VALUES ({placeholders})", rows
    )
    return cursor.rowcount


def _postgres_copy(raw, rows: Sequence[EventRow]) -> int:
    columns = ", ".join(EVENT_COLUMNS)
    with raw.cursor() as cursor:
        # Only the loaded columns: a copied id default would burn sequence values on every COPY.
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS usage_events_load ON COMMIT DELETE ROWS AS "
            f"SELECT {columns} FROM usage_events WITH NO DATA"
        )
        cursor.execute("TRUNCATE usage_events_load")
        with cursor.copy(f"COPY usage_events_load ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(_with_utc_offset(row))
        cursor.execute(
            f"INSERT INTO usage_events ({columns}) SELECT {columns} FROM usage_events_load "
            "ORDER BY event_id ON CONFLICT DO NOTHING"
        )
        inserted = cursor.rowcount
        cursor.execute("TRUNCATE usage_events_load")
        return inserted


def _with_utc_offset(row: EventRow) -> list:
    values = list(row)
    values[_OCCURRED] += "+00"
    return values


@contextmanager
def indexes_built_after_load(engine: Engine) -> Iterator[None]:
    """For loading an EMPTY events table: drop its secondary indexes, rebuild them once at the end.

    Building an index over sorted data is several times faster than updating it row by row. With
    rows already in the table this does nothing (other readers may need the indexes meanwhile).
    """
    indexes = list(UsageEvent.__table__.indexes)  # type: ignore[attr-defined]
    with engine.connect() as connection:
        empty = connection.execute(select(func.count()).select_from(UsageEvent)).scalar_one() == 0
    if not empty:
        yield
        return
    with engine.begin() as connection:
        for index in indexes:
            index.drop(connection, checkfirst=True)
    try:
        yield
    finally:
        with engine.begin() as connection:
            for index in indexes:
                index.create(connection, checkfirst=True)
