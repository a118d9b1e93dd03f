"""The installations demo step links to the subscriptions in the store and gives reconciliation work."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, insert
from sqlmodel import Session, func, select

from dashboard.billing.reconciliation import reconcile
from dashboard.demo import core, installations
from dashboard.demo.context import SIZES, DemoContext
from models import Installation, StripeSubscription, StripeSubscriptionItem


def _context(engine: Engine) -> DemoContext:
    ctx = DemoContext(engine=engine, size=SIZES["small"], seed=7)
    core.generate(ctx)
    return ctx


def _subscriptions(ctx: DemoContext, count: int) -> None:
    app_ids = ctx.shared["app_ids"]
    subs, items = [], []
    for n, account_id in enumerate(ctx.shared["account_ids"][:count]):
        status = "active" if n % 5 else "canceled"
        subs.append(
            {
                "id": f"sub_{n:04d}",
                "customer_id": f"cus_{n}",
                "account_id": account_id,
                "app_id": app_ids[n % len(app_ids)],
                "status": status,
                "currency": "usd",
                "mrr": 4900,
                "start_date": ctx.now - timedelta(days=100),
                "cancel_at_period_end": False,
                "collection_method": "charge_automatically",
                "stripe_metadata": {},
                "ended_at": ctx.now - timedelta(days=3) if status == "canceled" else None,
            }
        )
        items.append(
            {"id": f"si_{n:04d}", "subscription_id": f"sub_{n:04d}", "price_id": "price_x", "quantity": 10}
        )
    # Plain inserts: DemoContext.bulk_insert resets an integer id sequence, which string ids do not have.
    with ctx.engine.begin() as conn:
        conn.execute(insert(StripeSubscription.__table__), subs)
        conn.execute(insert(StripeSubscriptionItem.__table__), items)


def test_installations_follow_the_subscriptions_in_the_store(engine: Engine) -> None:
    ctx = _context(engine)
    _subscriptions(ctx, 100)

    installations.generate(ctx)

    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(Installation)).one()
        linked = session.exec(
            select(func.count())
            .select_from(Installation)
            .where(Installation.stripe_subscription_id.is_not(None))
        ).one()
        states = set(session.exec(select(Installation.state).distinct()).all())
        categories = {row.category for row in reconcile(session)}
    assert total == SIZES["small"].installations
    assert 80 <= linked <= 100
    assert states == {"enabled", "disabled", "uninstalled"}
    assert {"leakage", "paying_for_nothing", "no_installation", "seat_mismatch"} <= categories


def test_without_subscriptions_every_installation_is_unbilled(engine: Engine) -> None:
    ctx = _context(engine)

    installations.generate(ctx)

    with Session(engine) as session:
        rows = session.exec(select(Installation)).all()
    assert len(rows) == SIZES["small"].installations
    assert all(row.stripe_subscription_id is None and not row.paid for row in rows)
