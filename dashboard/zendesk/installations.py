"""Installations for the Installations page: filtered rows, counts by state, weekly installs/uninstalls."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import and_, func, or_
from sqlmodel import Session, select

from dashboard.accounts.links import account_link
from models import Account, App, Installation

STATES = ("enabled", "disabled", "uninstalled")


@dataclass(frozen=True)
class InstallationFilters:
    app_ids: tuple[int, ...] = ()
    states: tuple[str, ...] = ()
    plans: tuple[str, ...] = ()
    paid: bool | None = None
    account: str = ""  # part of the company name or subdomain
    since: date | None = None  # installed or uninstalled on or after
    until: date | None = None  # ... on or before


@dataclass(frozen=True)
class FilterOptions:
    apps: dict[int, str]
    plans: list[str]


def filter_options(session: Session) -> FilterOptions:
    apps = dict(session.exec(select(App.id, App.name).order_by(App.name)).all())
    statement = select(Installation.plan_name).distinct().order_by(Installation.plan_name)
    plans = [plan for plan in session.exec(statement).all() if plan]
    return FilterOptions(apps, plans)


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _filtered(statement: Any, filters: InstallationFilters) -> Any:
    if filters.app_ids:
        statement = statement.where(Installation.app_id.in_(filters.app_ids))
    if filters.states:
        statement = statement.where(Installation.state.in_(filters.states))
    if filters.plans:
        statement = statement.where(Installation.plan_name.in_(filters.plans))
    if filters.paid is not None:
        statement = statement.where(Installation.paid == filters.paid)
    if filters.account.strip():
        pattern = f"%{filters.account.strip().lower()}%"
        statement = statement.where(
            or_(
                func.lower(Account.company_name).like(pattern),
                func.lower(Account.zendesk_subdomain).like(pattern),
            )
        )
    if filters.since or filters.until:
        statement = statement.where(
            or_(_within(Installation.installed_at, filters), _within(Installation.uninstalled_at, filters))
        )
    return statement


def _within(column: Any, filters: InstallationFilters) -> Any:
    """`column` falls in the filters' date range (both ends inclusive, whole days, UTC)."""
    conditions = [column.is_not(None)]
    if filters.since:
        conditions.append(column >= _start(filters.since))
    if filters.until:
        conditions.append(column < _start(filters.until + timedelta(days=1)))
    return and_(*conditions)


def list_installations(session: Session, filters: InstallationFilters) -> list[dict[str, Any]]:
    """Plain rows, newest installs first."""
    statement = _filtered(
        select(
            Installation.id,
            Installation.account_id,
            Account.company_name,
            Account.zendesk_subdomain,
            App.name,
            Installation.state,
            Installation.plan_name,
            Installation.paid,
            Installation.seats,
            Installation.stripe_subscription_id,
            Installation.installed_at,
            Installation.uninstalled_at,
            Installation.source,
            Installation.zendesk_installation_id,
        )
        .join(Account, Account.id == Installation.account_id)
        .join(App, App.id == Installation.app_id),
        filters,
    ).order_by(Installation.installed_at.desc(), Installation.id.desc())
    return [dict(zip(ROW_NAMES, row, strict=True)) for row in session.exec(statement).all()]


ROW_NAMES = (
    "id",
    "account_id",
    "company_name",
    "subdomain",
    "app",
    "state",
    "plan",
    "paid",
    "seats",
    "stripe_subscription_id",
    "installed_at",
    "uninstalled_at",
    "source",
    "zendesk_installation_id",
)


def installation_frame(session: Session, filters: InstallationFilters) -> pd.DataFrame:
    """`list_installations` as a frame, with a link to each account's page."""
    frame = pd.DataFrame(list_installations(session, filters), columns=list(ROW_NAMES))
    frame["account_link"] = frame["account_id"].map(account_link)
    return frame


def counts_by_state(session: Session, filters: InstallationFilters) -> dict[str, int]:
    statement = _filtered(
        select(Installation.state, func.count()).join(Account, Account.id == Installation.account_id), filters
    ).group_by(Installation.state)
    found = dict(session.exec(statement).all())
    return {state: int(found.get(state, 0)) for state in STATES}


def _week(moment: datetime) -> date:
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def weekly_changes(session: Session, filters: InstallationFilters) -> list[dict[str, Any]]:
    """Per ISO week (Monday) and app: installs, uninstalls and the net, within the date range."""
    statement = _filtered(
        select(App.name, Installation.installed_at, Installation.uninstalled_at)
        .join(Account, Account.id == Installation.account_id)
        .join(App, App.id == Installation.app_id),
        filters,
    )
    low = _start(filters.since) if filters.since else None
    high = _start(filters.until + timedelta(days=1)) if filters.until else None

    def in_range(moment: datetime | None) -> bool:
        return moment is not None and (low is None or moment >= low) and (high is None or moment < high)

    installs: Counter[tuple[date, str]] = Counter()
    uninstalls: Counter[tuple[date, str]] = Counter()
    for app_name, installed_at, uninstalled_at in session.exec(statement).all():
        if in_range(installed_at):
            installs[(_week(installed_at), app_name)] += 1
        if in_range(uninstalled_at):
            uninstalls[(_week(uninstalled_at), app_name)] += 1
    keys = sorted(set(installs) | set(uninstalls))
    return [
        {
            "week": week,
            "app": app,
            "installs": installs[(week, app)],
            "uninstalls": uninstalls[(week, app)],
            "net": installs[(week, app)] - uninstalls[(week, app)],
        }
        for week, app in keys
    ]
