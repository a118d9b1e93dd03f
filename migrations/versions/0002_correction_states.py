"""correction states: the key and time of the current send, the last look in Stripe, the mirror refresh

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("billing_corrections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sending_key", sqlmodel.sql.sqltypes.AutoString(length=96), nullable=True))
        batch_op.add_column(sa.Column("sending_at", models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("checked_at", models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("mirrored_at", models.types.UTCDateTime(timezone=True), nullable=True))
    # Corrections executed before this revision had their mirror refreshed in the same transaction.
    op.execute("UPDATE billing_corrections SET mirrored_at = executed_at WHERE status = 'executed'")


def downgrade() -> None:
    with op.batch_alter_table("billing_corrections", schema=None) as batch_op:
        batch_op.drop_column("mirrored_at")
        batch_op.drop_column("checked_at")
        batch_op.drop_column("sending_at")
        batch_op.drop_column("sending_key")
