"""usage_events: user agents in a lookup table, actor hashes as 16 raw bytes, no ingested_at

Revision ID: 0010
Revises: 0009

Raw events were ~460 bytes each on SQLite, most of it repeated text: the user agent with its browser and
OS (~125 bytes; apps send a handful of distinct ones), the actor hash as 64 hex characters (in the row and
again in its index) and an ingest time nothing read. Now an event refers to its user agent in
`usage_agents` by number, and actor hashes (events and actor days) are HMAC-SHA256 cut to 16 raw bytes:
the first half of the old digest, so hashes the console computes still match. Existing rows are converted;
an erased event (user agent already nulled) loses its browser and OS with it. Going back, ingested_at
becomes each event's occurred_at and the actor hashes stay 128-bit (as hex text).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import models.types
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HASH_TABLES = ("usage_events", "usage_actor_days")
HASH_BYTES = 16
UTC_DATETIME = models.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "usage_agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_agent", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("browser", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("os", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_agent"),
    )
    op.execute(
        "INSERT INTO usage_agents (user_agent, browser, os) SELECT user_agent, MAX(browser), MAX(os) "
        "FROM usage_events WHERE user_agent IS NOT NULL GROUP BY user_agent ORDER BY user_agent"
    )
    with op.batch_alter_table("usage_events") as batch:
        batch.add_column(sa.Column("agent_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE usage_events SET agent_id = "
        "(SELECT a.id FROM usage_agents a WHERE a.user_agent = usage_events.user_agent) "
        "WHERE user_agent IS NOT NULL"
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # no unhex() before SQLite 3.41; the batch copy below keeps the bytes as they are
        op.get_bind().connection.driver_connection.create_function(
            "actor_hash_bytes", 1, lambda text: bytes.fromhex(text)[:HASH_BYTES], deterministic=True
        )
        for table in HASH_TABLES:
            op.execute(f"UPDATE {table} SET actor_hash = actor_hash_bytes(actor_hash)")
    for table in HASH_TABLES:
        with op.batch_alter_table(table) as batch:
            if table == "usage_events":
                for column in ("user_agent", "browser", "os", "ingested_at"):
                    batch.drop_column(column)
            batch.alter_column(
                "actor_hash",
                existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
                type_=sa.LargeBinary(length=HASH_BYTES),
                existing_nullable=False,
                postgresql_using=f"substring(decode(actor_hash, 'hex') from 1 for {HASH_BYTES})",
            )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in HASH_TABLES:
        if sqlite:  # text in the BLOB column first: the batch copy then keeps it as it is
            op.execute(f"UPDATE {table} SET actor_hash = lower(hex(actor_hash))")
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "actor_hash",
                existing_type=sa.LargeBinary(length=HASH_BYTES),
                type_=sqlmodel.sql.sqltypes.AutoString(length=64),
                existing_nullable=False,
                postgresql_using="encode(actor_hash, 'hex')",
            )
    with op.batch_alter_table("usage_events") as batch:
        batch.add_column(sa.Column("user_agent", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch.add_column(sa.Column("browser", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch.add_column(sa.Column("os", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch.add_column(sa.Column("ingested_at", UTC_DATETIME, nullable=True))
    for column in ("user_agent", "browser", "os"):
        op.execute(
            f"UPDATE usage_events SET {column} = "
            f"(SELECT a.{column} FROM usage_agents a WHERE a.id = usage_events.agent_id) "
            "WHERE agent_id IS NOT NULL"
        )
    op.execute("UPDATE usage_events SET ingested_at = occurred_at")
    with op.batch_alter_table("usage_events") as batch:
        batch.alter_column("ingested_at", existing_type=UTC_DATETIME, nullable=False)
        batch.drop_column("agent_id")
    op.drop_table("usage_agents")
