"""The Subscriptions list: every mirrored subscription with its account, app, plan and MRR.

MRR is shown in the reporting currency beside the subscription's own; filters are plain values so the
page can keep them in the URL.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlmodel import Session, col, select

from dashboard.accounts.links import account_link
from dashboard.billing.revenue.fx import fx_rates, to_reporting
from dashboard.billing.revenue.statuses import SubscriptionStatus, is_paying
from dashboard.presentation.columns import Column, Columns, Kind
from dashboard.presentation.text import words
from models import Account, App, StripeCustomer, StripePrice, StripeSubscription, StripeSubscriptionItem

STATUSES = tuple(status.value for status in SubscriptionStatus)
STATUS_CHOICES = {status: words(status) for status in STATUSES}  # the URL keeps the key: ?status=past_due
RENEWAL_WINDOWS = {"any": None, "7": 7, "30": 30, "90": 90}
RENEWAL_CHOICES = {
    window: "any time" if days is None else f"{days} days" for window, days in RENEWAL_WINDOWS.items()
}


@dataclass(frozen=True)
class SubscriptionFilters:
    statuses: tuple[str, ...] = ()
    app_ids: tuple[int, ...] = ()
    plans: tuple[str, ...] = ()
    currencies: tuple[str, ...] = ()
    renews_within_days: int | None = None  # current period ends between now and now + N days
    search: str = ""  # company, subdomain or email (case-insensitive, part of)


@dataclass(frozen=True)
class FilterOptions:
    apps: dict[int, str]
    plans: list[str]
    currencies: list[str]


def filter_options(session: Session) -> FilterOptions:
    apps = dict(session.exec(select(App.id, App.name).order_by(App.name)).all())
    plans = sorted({p for p in session.exec(select(StripePrice.nickname).distinct()) if p})
    currencies = sorted(session.exec(select(StripeSubscription.currency).distinct()).all())
    return FilterOptions(apps=apps, plans=plans, currencies=currencies)


def _plans(session: Session, subscription_ids: list[str] | None = None) -> dict[str, tuple[str, int]]:
    """Per subscription: the plan (price nickname, else price id) of its first item, and total quantity."""
    query = (
        select(
            StripeSubscriptionItem.subscription_id,
            StripeSubscriptionItem.price_id,
            StripeSubscriptionItem.quantity,
            StripePrice.nickname,
        )
        .join(StripePrice, col(StripePrice.id) == col(StripeSubscriptionItem.price_id), isouter=True)
        .order_by(StripeSubscriptionItem.subscription_id, StripeSubscriptionItem.id)
    )
    if subscription_ids is not None:
        query = query.where(col(StripeSubscriptionItem.subscription_id).in_(subscription_ids))
    plans: dict[str, tuple[str, int]] = {}
    for sub_id, price_id, quantity, nickname in session.exec(query):
        plan, seats = plans.get(sub_id, (nickname or price_id, 0))
        plans[sub_id] = (plan, seats + quantity)
    return plans


_COLUMNS = (
    StripeSubscription.id,
    StripeSubscription.account_id,
    StripeSubscription.customer_id,
    StripeSubscription.app_id,
    StripeSubscription.status,
    StripeSubscription.currency,
    StripeSubscription.mrr,
    StripeSubscription.created,
    StripeSubscription.trial_end,
    StripeSubscription.current_period_end,
    StripeSubscription.cancel_at_period_end,
    StripeSubscription.canceled_at,
)


_COLUMN_NAMES = [c.key for c in _COLUMNS]


def list_subscriptions(session: Session, *, account_id: int | None = None) -> list[dict[str, Any]]:
    """All subscriptions (or one account's) as plain rows, newest first."""
    query = (
        select(*_COLUMNS, StripeCustomer.email, Account.company_name, Account.zendesk_subdomain, App.name)
        .join(StripeCustomer, col(StripeCustomer.id) == col(StripeSubscription.customer_id), isouter=True)
        .join(Account, col(Account.id) == col(StripeSubscription.account_id), isouter=True)
        .join(App, col(App.id) == col(StripeSubscription.app_id), isouter=True)
        .order_by(col(StripeSubscription.created).desc(), StripeSubscription.id)
    )
    if account_id is not None:
        query = query.where(StripeSubscription.account_id == account_id)
    results = session.exec(query).all()
    rates = fx_rates(session)
    plans = _plans(session, [r[0] for r in results] if account_id is not None else None)
    names = [c.key for c in _COLUMNS]
    rows = []
    for result in results:
        row = dict(zip(names, result[: len(names)], strict=True))
        email, company, subdomain, app_name = result[len(names) :]
        row["plan"], row["seats"] = plans.get(row["id"], ("", 0))
        row.update(
            email=email or "",
            company=company or "",
            subdomain=subdomain or "",
            app=app_name or "",
            mrr_reporting=to_reporting(row["mrr"], row["currency"], rates),
        )
        rows.append(row)
    return rows


def matches(row: dict[str, Any], filters: SubscriptionFilters, *, now: datetime) -> bool:
    """Whether one row from `list_subscriptions` passes the filters."""
    if filters.statuses and row["status"] not in filters.statuses:
        return False
    if filters.app_ids and row["app_id"] not in filters.app_ids:
        return False
    if filters.plans and row["plan"] not in filters.plans:
        return False
    if filters.currencies and row["currency"] not in filters.currencies:
        return False
    if filters.renews_within_days is not None:
        end = row["current_period_end"]
        if end is None or not now <= end <= now + timedelta(days=filters.renews_within_days):
            return False
        if row["status"] == "canceled" or row["cancel_at_period_end"]:
            return False
    needle = filters.search.strip().lower()
    return not needle or any(needle in row[k].lower() for k in ("company", "subdomain", "email"))


def subscription_columns(reporting: str) -> Columns:
    """The Subscriptions table: MRR in the subscription's own currency and in `reporting`."""
    return {
        "company": Column("Company"),
        "account_link": Column("Account 360", Kind.LINK, link_text="Open"),
        "subdomain": Column("Subdomain"),
        "email": Column("Billing email"),
        "app": Column("App"),
        "plan": Column("Plan"),
        "seats": Column("Seats", Kind.COUNT),
        "status": Column("Status", Kind.ENUM),
        "currency": Column("Currency"),
        "mrr": Column(
            "MRR", Kind.MONEY, currency_column="currency", help="In the subscription's own currency"
        ),
        "mrr_reporting": Column("MRR (reporting)", Kind.MONEY, currency=reporting),
        "current_period_end": Column("Renews", Kind.DATETIME),
        "trial_end": Column("Trial ends", Kind.DATETIME),
        "created": Column("Created", Kind.DATETIME),
        "id": Column("Stripe ID"),
    }


@dataclass(frozen=True)
class SubscriptionsScreen:
    rows: pd.DataFrame  # every matching subscription, newest first (`columns`)
    columns: Columns
    total: int
    paying: int  # active or past due (`is_paying`)
    mrr_reporting: int  # the paying ones' MRR, reporting-currency minor units
    past_due: int
    reporting: str  # the reporting currency
    options: FilterOptions  # the App, Plan and Currency filters' choices


def subscriptions_screen(
    rows: list[dict[str, Any]],
    filters: SubscriptionFilters,
    *,
    options: FilterOptions,
    reporting: str,
    now: datetime,
) -> SubscriptionsScreen:
    """The Subscriptions page for `filters`, from `list_subscriptions` rows and `filter_options` (the
    page caches those). A choice that is not among the options (a hand-edited address) is ignored."""
    filters = replace(
        filters,
        app_ids=tuple(a for a in filters.app_ids if a in options.apps),
        plans=tuple(p for p in filters.plans if p in options.plans),
        currencies=tuple(c for c in filters.currencies if c in options.currencies),
    )
    kept = [r for r in rows if matches(r, filters, now=now)]
    paying = [r for r in kept if is_paying(r["status"])]
    frame = pd.DataFrame(
        kept,
        columns=[*_COLUMN_NAMES, "email", "company", "subdomain", "app", "plan", "seats", "mrr_reporting"],
    )
    frame["currency"] = frame["currency"].str.upper()
    frame["account_link"] = frame["account_id"].map(account_link)
    return SubscriptionsScreen(
        rows=frame,
        columns=subscription_columns(reporting),
        total=len(kept),
        paying=len(paying),
        mrr_reporting=sum(r["mrr_reporting"] for r in paying),
        past_due=sum(1 for r in kept if r["status"] == SubscriptionStatus.PAST_DUE),
        reporting=reporting,
        options=options,
    )
