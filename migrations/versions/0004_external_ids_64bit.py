"""external ids and unbounded tables' keys 64-bit

Zendesk's ids are 12-14 digits today (installation 361234573552); a 32-bit INTEGER on PostgreSQL
raises NumericValueOutOfRange. This widens, on PostgreSQL, the columns that hold another system's ids
(`apps.zendesk_app_id`, `installations.zendesk_installation_id`) and the primary keys of the tables
that grow without bound (`audit_events` and its head's `last_id`, `usage_daily_rollups`,
`usage_actor_days`; `usage_events` was BIGINT already), with their sequences.

SQLite needs nothing: its INTEGER holds 64 bits, and an INTEGER primary key must stay INTEGER to be the
rowid, so the models keep INTEGER there (`models.types.BIGINT`).

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, whether it is a serial primary key whose sequence must widen too)
WIDENED: tuple[tuple[str, str, bool], ...] = (
    ("apps", "zendesk_app_id", False),
    ("installations", "zendesk_installation_id", False),
    ("audit_events", "id", True),
    ("audit_chain_head", "last_id", False),
    ("usage_daily_rollups", "id", True),
    ("usage_actor_days", "id", True),
)


def _alter(new_type: type[sa.types.TypeEngine], sequence_type: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, serial in WIDENED:
        op.alter_column(table, column, type_=new_type(), existing_type=sa.Integer())
        if serial:
            op.execute(
                f"ALTER SEQUENCE {_sequence(table, column)} AS {sequence_type}"  # names are constants above
            )


def _sequence(table: str, column: str) -> str:
    name = op.get_bind().execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table, "c": column})
    return str(name.scalar_one())


def upgrade() -> None:
    _alter(sa.BigInteger, "bigint")


def downgrade() -> None:
    """Fails (out of range) when a 64-bit value is already stored: narrowing would lose it."""
    _alter(sa.Integer, "integer")
