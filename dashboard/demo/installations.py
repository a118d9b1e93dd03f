"""Demo app installations, tied to the Stripe subscriptions already in the store (read from the database,
so this step works with or without the Stripe demo step).

Shapes the reconciliation page has something to find: installations enabled, disabled and
uninstalled; some enabled without a paid subscription; some paying but disabled or uninstalled;
subscriptions with no installation; seats that differ from the billed quantity.

`source` says where the console learned each installation, as in a real store: those of the first
accounts, which the demo holds Zendesk credentials for (the history step connects them), came from the
Zendesk sync and are what the demo's Zendesk reports; the others from the Marketplace import.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from dashboard.demo.context import DemoContext
from dashboard.zendesk.marketplace_import import SOURCE as MARKETPLACE_SOURCE
from dashboard.zendesk.sync import SOURCE as SYNC_SOURCE
from models import App, Installation, StripePrice, StripeProduct, StripeSubscription, StripeSubscriptionItem

FIRST_INSTALLATION_ID = 7_000_000
PLANS = ("Team", "Professional", "Enterprise")
LIVE = ("active", "past_due", "trialing", "unpaid", "incomplete")
# Zendesk accounts the demo holds API credentials for: enough for every screen, while an export still
# searches each of them in seconds on `large`.
MAX_ZENDESK_CONNECTIONS = 300


@dataclass(frozen=True)
class _Sub:
    id: str
    account_id: int
    app_id: int
    status: str
    quantity: int
    start: datetime | None
    ended: datetime | None


def generate(ctx: DemoContext) -> None:
    app_names = _app_names(ctx)
    app_ids = list(app_names)
    if not app_ids or not ctx.shared.get("account_ids"):
        return
    subs = _subscriptions(ctx)
    rows: list[dict[str, Any]] = []
    for sub in _one_per_account_app(subs):
        row = _row_for_subscription(ctx, sub, len(rows))
        if row is not None:
            rows.append(row)
    taken = {(row["account_id"], row["app_id"]) for row in rows}
    while len(rows) < ctx.size.installations:
        account_id, app_id = ctx.rng.choice(ctx.shared["account_ids"]), ctx.rng.choice(app_ids)
        if (account_id, app_id) not in taken or len(taken) >= len(ctx.shared["account_ids"]) * len(app_ids):
            taken.add((account_id, app_id))
            rows.append(_unbilled_row(ctx, account_id, app_id, len(rows)))
    _as_learned(rows, app_names)
    ctx.bulk_insert(Installation, rows)
    ctx.shared["installation_count"] = len(rows)


def _as_learned(rows: list[dict[str, Any]], app_names: dict[int, str]) -> None:
    """Each row as the system it came from reports it: the sync keeps the settings Zendesk sends (the
    app's name); the import has none and does not see an installation again."""
    synced = set(sorted({row["account_id"] for row in rows})[:MAX_ZENDESK_CONNECTIONS])
    for row in rows:
        if row["account_id"] in synced:
            name = app_names[row["app_id"]]
            row["settings"] = {"name": name, "title": name}
        else:
            row.update(source=MARKETPLACE_SOURCE, last_seen_at=None)


def _app_names(ctx: DemoContext) -> dict[int, str]:
    with ctx.engine.connect() as conn:
        return dict(conn.execute(select(App.id, App.name).order_by(App.id)).all())


def _subscriptions(ctx: DemoContext) -> list[_Sub]:
    """Subscriptions with an account, their app (own column, else through the product) and licensed seats."""
    with ctx.engine.connect() as conn:
        app_by_product = dict(
            conn.execute(
                select(App.stripe_product_id, App.id).where(App.stripe_product_id.is_not(None))
            ).all()
        )
        app_by_product.update(
            conn.execute(
                select(StripeProduct.id, StripeProduct.app_id).where(StripeProduct.app_id.is_not(None))
            ).all()
        )
        items = conn.execute(
            select(
                StripeSubscriptionItem.subscription_id,
                func.sum(StripeSubscriptionItem.quantity),
                func.min(StripePrice.product_id),
            )
            .join(StripePrice, StripePrice.id == StripeSubscriptionItem.price_id, isouter=True)
            .group_by(StripeSubscriptionItem.subscription_id)
        ).all()
        per_sub = {sub_id: (int(quantity or 1), product) for sub_id, quantity, product in items}
        found = []
        for sid, account_id, app_id, status, start, ended in conn.execute(
            select(
                StripeSubscription.id,
                StripeSubscription.account_id,
                StripeSubscription.app_id,
                StripeSubscription.status,
                StripeSubscription.start_date,
                StripeSubscription.ended_at,
            )
            .where(StripeSubscription.account_id.is_not(None))
            .order_by(StripeSubscription.id)
        ).all():
            quantity, product = per_sub.get(sid, (1, None))
            app = app_id or app_by_product.get(product)
            if app is not None:
                found.append(_Sub(sid, account_id, app, status, quantity, start, ended))
    return found


def _one_per_account_app(subs: list[_Sub]) -> list[_Sub]:
    """An account has one installation of an app: keep its liveliest subscription."""
    grouped: dict[tuple[int, int], list[_Sub]] = defaultdict(list)
    for sub in subs:
        grouped[(sub.account_id, sub.app_id)].append(sub)
    return [min(group, key=lambda s: (s.status not in LIVE, s.id)) for group in grouped.values()]


def _base_row(ctx: DemoContext, account_id: int, app_id: int, index: int, installed_at: datetime) -> dict:
    return {
        "account_id": account_id,
        "app_id": app_id,
        "zendesk_installation_id": FIRST_INSTALLATION_ID + index,
        "source": SYNC_SOURCE,
        "state": "enabled",
        "plan_name": ctx.rng.choice(PLANS),
        "paid": True,
        "has_unpaid_subscription": False,
        "has_incomplete_subscription": False,
        "stripe_subscription_id": None,
        "seats": None,
        "settings": {},
        "installed_at": installed_at,
        "updated_at": installed_at,
        "uninstalled_at": None,
        "last_seen_at": ctx.now - timedelta(hours=ctx.rng.randint(1, 30)),
    }


def _row_for_subscription(ctx: DemoContext, sub: _Sub, index: int) -> dict | None:
    rng = ctx.rng
    if sub.status in LIVE and rng.random() < 0.05:
        return None  # billed, never installed (or installed under a renamed subdomain)
    installed_at = (sub.start or ctx.now - timedelta(days=rng.randint(20, 700))) - timedelta(
        hours=rng.randint(1, 48)
    )
    row = _base_row(ctx, sub.account_id, sub.app_id, index, installed_at)
    row["stripe_subscription_id"] = sub.id
    row["seats"] = sub.quantity if rng.random() > 0.08 else max(1, sub.quantity + rng.choice((-3, -1, 2, 5)))
    row["has_unpaid_subscription"] = sub.status in ("past_due", "unpaid")
    row["has_incomplete_subscription"] = sub.status == "incomplete"
    roll = rng.random()
    if sub.status in LIVE:
        if roll < 0.05:
            row["state"] = "disabled"  # still billed: disabling does not cancel
        elif roll < 0.08:
            _uninstall(ctx, row, after=installed_at)  # still billed after uninstalling
    elif roll < 0.85:
        _uninstall(ctx, row, after=installed_at, at=sub.ended)
    else:
        row["paid"] = False  # cancelled in Stripe, still enabled in Zendesk: leakage
    return row


def _unbilled_row(ctx: DemoContext, account_id: int, app_id: int, index: int) -> dict:
    rng = ctx.rng
    row = _base_row(
        ctx,
        account_id,
        app_id,
        index,
        ctx.now - timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 1440)),
    )
    row.update(paid=False, seats=rng.choice((None, 5, 10)))  # nobody billed: leakage while enabled
    roll = rng.random()
    if roll < 0.3:
        _uninstall(ctx, row, after=row["installed_at"])
    elif roll < 0.4:
        row["state"] = "disabled"
    return row


def _uninstall(ctx: DemoContext, row: dict, *, after: datetime, at: datetime | None = None) -> None:
    latest = max(after + timedelta(hours=1), ctx.now - timedelta(days=1))
    span = max(1, int((latest - after).total_seconds() // 3600))
    row["state"] = "uninstalled"
    row["uninstalled_at"] = at if at and at > after else after + timedelta(hours=ctx.rng.randint(1, span))
