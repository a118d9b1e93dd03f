"""usage_events on PostgreSQL: partitioned by month of occurred_at

Revision ID: 0012
Revises: 0011

PostgreSQL only (SQLite keeps one table): `usage_events` becomes a table partitioned by range of
`occurred_at`, one partition per UTC month (`usage_events_YYYY_MM`) from the month of the oldest event
to three months after this one, and a default partition for anything outside them. Retention then
drops whole months, and a query bounded in time reads only its months (dashboard/usage/partitions.py,
which also makes the later months). The primary key becomes (id, occurred_at), as a partitioned table's
keys must hold the partition key; ids keep their sequence. `event_id` is unique per partition (a unique
index on each), so the same id is refused within a month but could be stored again in another month.
The rows are copied into the new table. Going back, an event id stored in two months keeps its first row.
"""

from collections.abc import Sequence
from datetime import date

from alembic import op
from dashboard.core import clock
from dashboard.usage.partitions import (
    DEFAULT_PARTITION,
    MONTHS_AHEAD,
    month_start,
    next_month,
    partition_name,
)

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "usage_events_unpartitioned"
SEQUENCE = "usage_events_id_seq"
INDEXES = ("ix_usage_events_occurred_at", "ix_usage_events_actor_hash")
FOREIGN_KEY = (
    "ALTER TABLE usage_events ADD CONSTRAINT usage_events_installation_id_fkey "
    "FOREIGN KEY (installation_id) REFERENCES installations (id)"
)


def _months(oldest: date | None) -> list[date]:
    this_month = month_start(clock.today())
    month = min(month_start(oldest), this_month) if oldest else this_month
    last = this_month
    for _ in range(MONTHS_AHEAD):
        last = next_month(last)
    months = []
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def _bound(month: date) -> str:
    return f"'{month:%Y-%m-%d} 00:00:00+00'"


def _set_aside(new_name: str) -> None:
    """Rename the events table and free the names of its sequence, key and indexes for the new one."""
    op.execute(f"ALTER TABLE usage_events RENAME TO {new_name}")
    op.execute(f"ALTER SEQUENCE {SEQUENCE} OWNED BY NONE")
    op.execute(f"ALTER TABLE {new_name} DROP CONSTRAINT usage_events_pkey")
    op.execute(f"DROP INDEX {', '.join(INDEXES)}")


def _finish(old_name: str) -> None:
    for index, column in zip(INDEXES, ("occurred_at", "actor_hash"), strict=True):
        op.execute(f"CREATE INDEX {index} ON usage_events ({column})")
    op.execute(FOREIGN_KEY)
    op.execute(f"ALTER SEQUENCE {SEQUENCE} OWNED BY usage_events.id")
    op.execute(f"DROP TABLE {old_name}")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    oldest = bind.exec_driver_sql(
        "SELECT (min(occurred_at) AT TIME ZONE 'UTC')::date FROM usage_events"
    ).scalar_one()
    _set_aside(OLD)
    op.execute(f"ALTER TABLE {OLD} DROP CONSTRAINT usage_events_event_id_key")
    op.execute(
        f"CREATE TABLE usage_events (LIKE {OLD} INCLUDING DEFAULTS, PRIMARY KEY (id, occurred_at)) "
        "PARTITION BY RANGE (occurred_at)"
    )
    op.execute(f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF usage_events DEFAULT")
    partitions = [DEFAULT_PARTITION]
    for month in _months(oldest):
        name = partition_name(month)
        op.execute(
            f"CREATE TABLE {name} PARTITION OF usage_events "
            f"FOR VALUES FROM ({_bound(month)}) TO ({_bound(next_month(month))})"
        )
        partitions.append(name)
    op.execute(f"INSERT INTO usage_events SELECT * FROM {OLD}")
    for name in partitions:  # after the copy: one build per index instead of a row-by-row update
        op.execute(f"CREATE UNIQUE INDEX {name}_event_id_key ON {name} (event_id)")
    _finish(OLD)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    partitioned = "usage_events_partitioned"
    _set_aside(partitioned)
    op.execute(f"CREATE TABLE usage_events (LIKE {partitioned} INCLUDING DEFAULTS, PRIMARY KEY (id))")
    op.execute(
        f"INSERT INTO usage_events SELECT DISTINCT ON (event_id) * FROM {partitioned} ORDER BY event_id, id"
    )
    op.execute("ALTER TABLE usage_events ADD CONSTRAINT usage_events_event_id_key UNIQUE (event_id)")
    _finish(partitioned)
