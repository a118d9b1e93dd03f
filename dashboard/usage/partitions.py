"""Raw usage events in monthly PostgreSQL partitions: made ahead of time, dropped whole by retention.

On PostgreSQL (revision 0012) `usage_events` is partitioned by range of `occurred_at`, one partition per
UTC calendar month named `usage_events_YYYY_MM`, plus `usage_events_default` for an event outside every
month made so far. The `usage_partitions` job (`python -m dashboard partitions usage`) makes the
partitions of this month and the next `months_ahead` before events arrive, gives an event that landed
in the default partition a partition of its own month (moving it there), and drops the months that
retention has passed whole: a DETACH and a DROP instead of a DELETE of every row (and the VACUUM after).

Each partition has its own unique index on `event_id`: a duplicate event id within one month is refused
(ingest skips it, as before), but the same id with an `occurred_at` in another month is stored twice
(PostgreSQL cannot enforce a unique key across partitions that leaves out the partition key).

ATTACH and DETACH take a brief lock on the default partition and the detached one (and DETACH one on
the table, which waits for running queries on it to end): each statement waits at most LOCK_TIMEOUT
for it, then fails without changing anything, and the next run tries again.

SQLite keeps one table; there everything here does nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlmodel import Session

from dashboard.core.errors import ValidationError
from dashboard.usage.sqlparts import day_start

PARENT = "usage_events"
DEFAULT_PARTITION = f"{PARENT}_default"
MONTHS_AHEAD = 3
MAX_MONTHS_AHEAD = 36
LOCK_TIMEOUT = "10s"
_MONTHLY = re.compile(rf"^{PARENT}_(\d{{4}})_(\d{{2}})$")


@dataclass(frozen=True)
class DroppedPartition:
    month: date
    events: int  # the rows it held (would hold, in a dry run)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{PARENT}_{month:%Y_%m}"


def is_partition_name(name: str) -> bool:
    """A table name this module makes (autogenerate leaves them out: they are not in the models)."""
    return name == DEFAULT_PARTITION or _MONTHLY.match(name) is not None


def validate_months_ahead(months_ahead: int) -> int:
    if not 0 <= months_ahead <= MAX_MONTHS_AHEAD:
        raise ValidationError(
            f"months ahead must be between 0 and {MAX_MONTHS_AHEAD}, not {months_ahead}", field="months_ahead"
        )
    return months_ahead


@contextmanager
def _connection(target: Session | Connection | Engine) -> Iterator[Connection]:
    """The connection to work on: a session's or a connection's own transaction (the caller commits),
    or a transaction of its own on an engine."""
    if isinstance(target, Engine):
        with target.begin() as connection:
            yield connection
    elif isinstance(target, Session):
        yield target.connection()
    else:
        yield target


def is_partitioned(connection: Connection) -> bool:
    """True when `usage_events` is a partitioned table (PostgreSQL from revision 0012)."""
    if connection.dialect.name != "postgresql":
        return False
    statement = text("SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(:t))")
    return bool(connection.execute(statement, {"t": PARENT}).scalar_one())


def monthly_partitions(connection: Connection) -> list[date]:
    """The months that have a partition, oldest first (by name: this module makes them all)."""
    names = connection.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(:t)"
        ),
        {"t": PARENT},
    ).scalars()
    matches = (_MONTHLY.match(name) for name in names)
    return sorted(date(int(m[1]), int(m[2]), 1) for m in matches if m)


def _bounds(month: date) -> dict[str, datetime]:
    return {"lo": day_start(month), "hi": day_start(next_month(month))}


def _literal(instant: datetime) -> str:
    """A partition bound (DDL takes no parameters): an explicit UTC offset, whatever the session zone."""
    return f"'{instant:%Y-%m-%d %H:%M:%S}+00'"


@contextmanager
def _lock_timeout(connection: Connection) -> Iterator[None]:
    """DDL that needs a table's lock waits at most LOCK_TIMEOUT for it (then fails), not behind every
    long query; the setting goes back to what it was for the rest of the caller's transaction."""
    before = connection.execute(text("SELECT current_setting('lock_timeout')")).scalar_one()
    connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    try:
        yield
    finally:
        connection.execute(text("SELECT set_config('lock_timeout', :v, true)"), {"v": before})


def planned_partitions(
    connection: Connection, *, today: date, months_ahead: int = MONTHS_AHEAD
) -> list[date]:
    """The months `ensure_partitions` would make: this month and `months_ahead` more, and every month of
    an event in the default partition, less those that have a partition."""
    validate_months_ahead(months_ahead)
    if not is_partitioned(connection):
        return []
    wanted = {month_start(today)}
    for _ in range(months_ahead):
        wanted.add(next_month(max(wanted)))
    stray = connection.execute(
        text(
            "SELECT DISTINCT (date_trunc('month', occurred_at AT TIME ZONE 'UTC'))::date "
            f"FROM {DEFAULT_PARTITION}"
        )
    ).scalars()
    wanted.update(stray)
    return sorted(wanted - set(monthly_partitions(connection)))


def ensure_partitions(
    target: Session | Connection | Engine,
    *,
    today: date,
    months_ahead: int = MONTHS_AHEAD,
    dry_run: bool = False,
) -> list[date]:
    """Make the missing monthly partitions (`planned_partitions`); returns their months. An event in the
    default partition moves to its month's new partition. A dry run only returns the months."""
    with _connection(target) as connection:
        months = planned_partitions(connection, today=today, months_ahead=months_ahead)
        if not dry_run:
            for month in months:
                _create_partition(connection, month)
        return months


def _create_partition(connection: Connection, month: date) -> None:
    """A month's partition: made as a plain table, its events moved in from the default partition, then
    attached (a partition whose range the default partition still holds rows of cannot be attached).
    ATTACH builds the table's indexes on it; its unique event_id index is its own."""
    name, bounds = partition_name(month), _bounds(month)
    lo, hi = _literal(bounds["lo"]), _literal(bounds["hi"])
    connection.execute(text(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
    connection.execute(text(f"CREATE UNIQUE INDEX {name}_event_id_key ON {name} (event_id)"))
    with _lock_timeout(connection):
        connection.execute(
            text(
                f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} "
                "WHERE occurred_at >= :lo AND occurred_at < :hi RETURNING *) "
                f"INSERT INTO {name} SELECT * FROM moved"
            ),
            bounds,
        )
        connection.execute(
            text(f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES FROM ({lo}) TO ({hi})")
        )


def expired_partitions(connection: Connection, *, cutoff: datetime) -> list[date]:
    """The months whose partition holds only events before `cutoff` (the whole month is before it)."""
    if not is_partitioned(connection):
        return []
    return [month for month in monthly_partitions(connection) if day_start(next_month(month)) <= cutoff]


def drop_expired_partitions(
    target: Session | Connection | Engine, *, cutoff: datetime, dry_run: bool = False
) -> list[DroppedPartition]:
    """Detach and drop every partition whose whole month is before `cutoff` (retention's cutoff,
    `retention.retention_cutoff`); returns each with the events it held. The events of the month
    `cutoff` falls in stay: the caller deletes those before it. A dry run drops nothing."""
    with _connection(target) as connection:
        dropped = []
        for month in expired_partitions(connection, cutoff=cutoff):
            name = partition_name(month)
            events = connection.execute(text(f"SELECT COUNT(*) FROM {name}")).scalar_one()
            if not dry_run:
                with _lock_timeout(connection):
                    connection.execute(text(f"ALTER TABLE {PARENT} DETACH PARTITION {name}"))
                connection.execute(text(f"DROP TABLE {name}"))
            dropped.append(DroppedPartition(month, events))
        return dropped


def autogenerate_filters(dialect: str) -> dict[str, Callable[..., bool]]:
    """Alembic's `include_name` and `include_object` for comparing the models with a store (env.py and
    the migration test): the partitions are not tables of the models, and on a partitioned PostgreSQL
    store the models' unique `event_id` is a unique index per partition instead (see the module)."""

    def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
        return not (type_ == "table" and name is not None and is_partition_name(name))

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        return not (
            dialect == "postgresql"
            and type_ == "unique_constraint"
            and obj.table.name == PARENT
            and [column.name for column in obj.columns] == ["event_id"]
        )

    return {"include_name": include_name, "include_object": include_object}
