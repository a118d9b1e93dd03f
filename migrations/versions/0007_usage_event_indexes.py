"""usage_events: drop the two indexes nothing reads

Revision ID: 0007
Revises: 0006

Pages read the rollups, never raw events; what does read them filters by time (rollups, retention),
by actor hash (privacy exports and deletions) or by event id (de-duplication on ingest). The account and
(installation, time) indexes were only kept up, on every insert.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_events_inst_time")
        batch_op.drop_index(batch_op.f("ix_usage_events_account_id"))


def downgrade() -> None:
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_usage_events_account_id"), ["account_id"], unique=False)
        batch_op.create_index("ix_usage_events_inst_time", ["installation_id", "occurred_at"], unique=False)
