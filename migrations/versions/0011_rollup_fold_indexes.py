"""Indexes that bound a day's rollup refresh to that day's rows

Revision ID: 0011
Revises: 0010

Refreshing one day used to re-read its whole month (month rollups) and the 30 days around it (daily
actives), so its cost grew with the events stored. It now takes the day out of the derived tables and
puts it back, looking up for each member of the day its neighbouring active days: per app and account
in the day rollups, per feature and account within the month, and per actor across apps in the actor
days. The actor-day index starts with account_id, so it replaces the single-column one.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("usage_daily_rollups") as batch:
        batch.create_index("ix_usage_rollup_app_account_day", ["app_id", "account_id", "day"], unique=False)
        batch.create_index(
            "ix_usage_rollup_app_feature_account_day",
            ["app_id", "feature", "account_id", "day"],
            unique=False,
        )
    with op.batch_alter_table("usage_actor_days") as batch:
        batch.create_index(
            "ix_usage_actor_days_member_day", ["account_id", "actor_hash", "day"], unique=False
        )
        batch.drop_index("ix_usage_actor_days_account_id")


def downgrade() -> None:
    with op.batch_alter_table("usage_actor_days") as batch:
        batch.create_index("ix_usage_actor_days_account_id", ["account_id"], unique=False)
        batch.drop_index("ix_usage_actor_days_member_day")
    with op.batch_alter_table("usage_daily_rollups") as batch:
        batch.drop_index("ix_usage_rollup_app_feature_account_day")
        batch.drop_index("ix_usage_rollup_app_account_day")
