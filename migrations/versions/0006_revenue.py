"""revenue: exchange rates by day, failed-payment fields, webhook events

Revision ID: 0006
Revises: 0005

`fx_rates` gets a `day` in its primary key (one rate per currency and day) and a `source`. Existing
rates, which until now stood for "today's rate", are kept as the rate of the day they were last set
(`updated_at`), marked `migrated`; months before that have no rate until rates are imported.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fx_table(name: str, *, with_day: bool) -> sa.Table:
    columns = [
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("rate", sa.Numeric(precision=18, scale=8), nullable=False),
        sa.Column("updated_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    ]
    if with_day:
        columns[1:1] = [sa.Column("day", sa.Date(), nullable=False)]
        columns.append(sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False))
        key = sa.PrimaryKeyConstraint("currency", "day")
    else:
        key = sa.PrimaryKeyConstraint("currency")
    return sa.Table(name, sa.MetaData(), *columns, key)


def _swap_fx(*, to_daily: bool) -> None:
    connection = op.get_bind()
    old = _fx_table("fx_rates", with_day=not to_daily)
    # rates as text: SQLite's driver binds no Decimal, PostgreSQL casts the text exactly
    rows = [{**r._mapping, "rate": str(r.rate)} for r in connection.execute(sa.select(old))]
    op.drop_table("fx_rates")
    new = _fx_table("fx_rates", with_day=to_daily)
    new.create(connection)
    if to_daily:
        data = [{**r, "day": r["updated_at"].date(), "source": "migrated"} for r in rows]
    else:  # back to one rate per currency: the newest day's
        newest: dict[str, dict] = {}
        for r in sorted(rows, key=lambda r: r["day"]):
            newest[r["currency"]] = {k: r[k] for k in ("currency", "rate", "updated_at", "updated_by")}
        data = list(newest.values())
    if data:
        connection.execute(new.insert(), data)


def upgrade() -> None:
    _swap_fx(to_daily=True)
    with op.batch_alter_table("stripe_subscriptions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cancellation_reason", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
    with op.batch_alter_table("stripe_invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_date", models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("attempt_count", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("next_payment_attempt", models.types.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("stripe_invoices", schema=None) as batch_op:
        batch_op.alter_column("attempt_count", server_default=None)
    with op.batch_alter_table("stripe_payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("card_exp_month", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("card_exp_year", sa.Integer(), nullable=True))
    op.create_table(
        "stripe_webhook_events",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("object_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("received_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("applied_at", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("stripe_webhook_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stripe_webhook_events_created"), ["created"], unique=False)
        batch_op.create_index(batch_op.f("ix_stripe_webhook_events_object_id"), ["object_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stripe_webhook_events_type"), ["type"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stripe_webhook_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stripe_webhook_events_type"))
        batch_op.drop_index(batch_op.f("ix_stripe_webhook_events_object_id"))
        batch_op.drop_index(batch_op.f("ix_stripe_webhook_events_created"))
    op.drop_table("stripe_webhook_events")
    with op.batch_alter_table("stripe_payments", schema=None) as batch_op:
        batch_op.drop_column("card_exp_year")
        batch_op.drop_column("card_exp_month")
    with op.batch_alter_table("stripe_invoices", schema=None) as batch_op:
        batch_op.drop_column("next_payment_attempt")
        batch_op.drop_column("attempt_count")
        batch_op.drop_column("due_date")
    with op.batch_alter_table("stripe_subscriptions", schema=None) as batch_op:
        batch_op.drop_column("cancellation_reason")
    _swap_fx(to_daily=False)
