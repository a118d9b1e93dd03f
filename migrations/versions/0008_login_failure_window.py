"""login failure window: when the last failed sign-in was, on users and login throttles

Revision ID: 0008
Revises: 0007

Consecutive failures lapse after LOGIN_FAILURE_WINDOW_MINUTES, so a throttle row past its window and its
lock no longer changes any answer and `purge login-throttles` deletes it. Existing counters have no time
and lapse at their next attempt.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("users", "login_throttles")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("last_failed_at", models.types.UTCDateTime(timezone=True), nullable=True)
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("last_failed_at")
