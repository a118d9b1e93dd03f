"""Revenue by segment: app, plan, billing interval, currency, customer country and account owner.

A subscription's app and currency are read from its current state, country and owner from its
account's; its whole MRR history goes with them. Plan and billing interval are read per MRR change
(the price of its first item from that day, `MrrChange.price_id`), so a subscription moved from Basic
to Pro counts under Basic until the move and under Pro after it (churn in one, new in the other); a
change logged without a price falls back to the current plan. Unknown values (a subscription no longer
mirrored, an unlinked customer) are "(none)".

Split by a dimension, each segment's figures are computed on that segment's subscriptions alone, with
the account as the unit inside it. So MRR, ARR, the net movement and the FX adjustment of the segments
add up exactly to the unsegmented figures (tested). Per-category movements add up too for an account
attribute (country, owner); for a subscription attribute an account moving its money from one app to
another shows churn in one segment and new or expansion in the other, where the whole business shows
the net. Paying-account counts do not add up when an account pays in several segments.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

import numpy as np
from sqlmodel import Session, col, select

from dashboard.billing.revenue.fx import RateBook
from dashboard.billing.revenue.history import MrrHistory
from dashboard.billing.revenue.metrics import MonthRevenue, months_from_history
from models import Account, App, MrrChange, StripePrice, StripeSubscription, StripeSubscriptionItem, User

NONE = "(none)"


class Dimension(StrEnum):
    APP = "app"
    PLAN = "plan"
    INTERVAL = "interval"
    CURRENCY = "currency"
    COUNTRY = "country"
    OWNER = "owner"

    @property
    def label(self) -> str:
        return {"interval": "Billing interval", "country": "Customer country", "owner": "Account owner"}.get(
            self.value, self.value.capitalize()
        )


@dataclass(frozen=True)
class SegmentChoice:
    """What the Revenue page shows: split `by` one dimension (or None) after keeping only the values in
    `keep` per dimension (an empty tuple keeps everything)."""

    by: Dimension | None = None
    keep: tuple[tuple[Dimension, tuple[str, ...]], ...] = ()

    def kept(self) -> dict[Dimension, tuple[str, ...]]:
        return {d: values for d, values in self.keep if values}

    def within(self, options: dict[Dimension, list[str]]) -> SegmentChoice:
        """Without the kept values that are not among `options` (a hand-edited address keeps nothing)."""
        keep = tuple((d, tuple(v for v in values if v in options[d])) for d, values in self.keep)
        return replace(self, keep=keep)


# Dimensions that can change during a subscription's life: read per MRR change (the plan of the day).
CHANGE_DIMENSIONS = (Dimension.PLAN, Dimension.INTERVAL)


@dataclass
class Segments:
    """Each subscription's value per dimension (its current state), and each logged price's plan and
    interval (`price_plan`), which the history's changes are read with."""

    of: dict[str, dict[Dimension, str]] = field(default_factory=dict)
    price_plan: dict[str, dict[Dimension, str]] = field(default_factory=dict)

    def options(self) -> dict[Dimension, list[str]]:
        values: dict[Dimension, set[str]] = defaultdict(set)
        for attrs in [*self.of.values(), *self.price_plan.values()]:
            for dimension, value in attrs.items():
                values[dimension].add(value)
        return {d: sorted(values[d]) for d in Dimension}

    def matching(
        self, subscription_ids: list[str], choice: SegmentChoice, *, dimensions: tuple[Dimension, ...] = ()
    ) -> list[str]:
        """The subscriptions whose current values are kept by `choice` (only `dimensions`, if given)."""
        kept = {d: v for d, v in choice.kept().items() if not dimensions or d in dimensions}
        return [
            s
            for s in subscription_ids
            if all(self.of.get(s, {}).get(d, NONE) in values for d, values in kept.items())
        ]

    def change_values(self, history: MrrHistory, dimension: Dimension) -> np.ndarray:
        """Per change in `history`: its value of `dimension` then (the change's price), else the
        subscription's current value (changes logged without a price)."""
        by_price = [
            self.price_plan.get(price, {}).get(dimension) if price else None for price in history.prices
        ]
        current = [self.of.get(s, {}).get(dimension, NONE) for s in history.subscriptions]
        return np.array(
            [
                by_price[price] or current[sub]
                for sub, price in zip(history.change_sub.tolist(), history.change_price.tolist(), strict=True)
            ],
            dtype=object,
        )


def load_segments(session: Session) -> Segments:
    segments = Segments()
    apps = dict(session.exec(select(App.id, App.name)).all())
    users = session.exec(select(User.id, User.name, User.email))
    owners = {uid: (name or email) for uid, name, email in users}
    accounts = {
        aid: (country or NONE, owners.get(owner, NONE))
        for aid, country, owner in session.exec(select(Account.id, Account.country, Account.owner_user_id))
    }
    plans: dict[str, tuple[str, str]] = {}
    items = session.exec(
        select(
            StripeSubscriptionItem.subscription_id,
            StripeSubscriptionItem.price_id,
            StripePrice.nickname,
            StripePrice.recurring_interval,
            StripePrice.recurring_interval_count,
        )
        .join(StripePrice, col(StripePrice.id) == col(StripeSubscriptionItem.price_id), isouter=True)
        .order_by(StripeSubscriptionItem.subscription_id, StripeSubscriptionItem.id)
    )
    for sub_id, price_id, nickname, interval, count in items:
        if sub_id not in plans:
            plans[sub_id] = (nickname or price_id, _every(interval, count))
    logged_prices = session.exec(
        select(
            StripePrice.id,
            StripePrice.nickname,
            StripePrice.recurring_interval,
            StripePrice.recurring_interval_count,
        ).where(col(StripePrice.id).in_(select(MrrChange.price_id).distinct()))
    )
    for price_id, nickname, interval, count in logged_prices:
        segments.price_plan[price_id] = {
            Dimension.PLAN: nickname or price_id,
            Dimension.INTERVAL: _every(interval, count),
        }
    subs = session.exec(
        select(
            StripeSubscription.id,
            StripeSubscription.app_id,
            StripeSubscription.currency,
            StripeSubscription.account_id,
        )
    ).all()
    known = {sub_id: (app_id, currency) for sub_id, app_id, currency, _ in subs}
    account_of: dict[str, int | None] = {}
    currency_of: dict[str, str] = {}
    # the change log first (the account its MRR is counted under; a linked row wins over an unlinked
    # one), then subscriptions that never had MRR (trials), for trial conversion
    logged = session.exec(
        select(MrrChange.subscription_id, MrrChange.account_id, MrrChange.currency).distinct()
    )
    for sub_id, account_id, currency in logged:
        if account_of.get(sub_id) is None:
            account_of[sub_id], currency_of[sub_id] = account_id, currency
    for sub_id, _app, currency, account_id in subs:
        if sub_id not in account_of:
            account_of[sub_id], currency_of[sub_id] = account_id, currency
    for sub_id, account_id in account_of.items():
        app_id, sub_currency = known.get(sub_id, (None, currency_of[sub_id]))
        plan, interval = plans.get(sub_id, (NONE, NONE))
        country, owner = accounts.get(account_id, (NONE, NONE))
        segments.of[sub_id] = {
            Dimension.APP: apps.get(app_id, NONE),
            Dimension.PLAN: plan,
            Dimension.INTERVAL: interval,
            Dimension.CURRENCY: (sub_currency or currency_of[sub_id]).upper(),
            Dimension.COUNTRY: country,
            Dimension.OWNER: owner,
        }
    return segments


def _every(interval: str | None, count: int | None) -> str:
    return NONE if not interval else (interval if (count or 1) == 1 else f"{count} {interval}s")


def filtered_history(history: MrrHistory, segments: Segments, choice: SegmentChoice) -> MrrHistory:
    """The history kept by the filters: subscriptions by their current app, currency, country and owner;
    plan and interval by the plan of the day (a subscription counts while it was on a kept plan)."""
    kept = choice.kept()
    if not kept:
        return history
    subscription_dimensions = tuple(d for d in Dimension if d not in CHANGE_DIMENSIONS)
    if any(d in kept for d in subscription_dimensions):
        ids = segments.matching(history.subscription_ids(), choice, dimensions=subscription_dimensions)
        history = history.subset(ids)
    marked = np.ones(len(history.change_sub), dtype=bool)
    for dimension in CHANGE_DIMENSIONS:
        if dimension in kept:
            marked &= np.isin(segments.change_values(history, dimension), list(kept[dimension]))
    return history if marked.all() else history.during(marked)


def months_by_segment(
    history: MrrHistory,
    book: RateBook,
    segments: Segments,
    choice: SegmentChoice,
    *,
    start: date,
    end: date,
    today: date,
) -> dict[str, list[MonthRevenue]]:
    """Per value of `choice.by` (after the filters): that segment's monthly figures."""
    if choice.by is None:
        return {}
    kept = filtered_history(history, segments, choice)
    if choice.by in CHANGE_DIMENSIONS:
        values = segments.change_values(kept, choice.by)
        return {
            value: months_from_history(kept.during(values == value), book, start=start, end=end, today=today)
            for value in sorted(set(values.tolist()))
        }
    groups: dict[str, list[str]] = defaultdict(list)
    for sub_id in kept.subscription_ids():
        groups[segments.of.get(sub_id, {}).get(choice.by, NONE)].append(sub_id)
    return {
        value: months_from_history(kept.subset(ids), book, start=start, end=end, today=today)
        for value, ids in sorted(groups.items())
    }
