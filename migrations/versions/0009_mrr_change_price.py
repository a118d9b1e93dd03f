"""mrr_changes.price_id: the plan a subscription was on from each change

Revision ID: 0009
Revises: 0008

Revenue by plan or billing interval follows the plan of the day, not the subscription's current one.
Rows logged before this revision have no price and fall back to the subscription's current price.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mrr_changes") as batch:
        batch.add_column(sa.Column("price_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mrr_changes") as batch:
        batch.drop_column("price_id")
