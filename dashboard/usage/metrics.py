"""The figures the Usage and Overview pages show, read only from rollup tables (never raw events).

Every function returns a pandas DataFrame with plain columns; no actor hashes or personal data leave
this module (accounts appear by company name only).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import case, func
from sqlmodel import Session, select

from dashboard.accounts.links import account_link
from dashboard.usage.rollup import ALL_APPS
from models import (
    Account,
    App,
    AppDailyActives,
    StripeSubscription,
    UsageAccountMonth,
    UsageCohort,
    UsageFeatureDay,
    UsageFeatureMonth,
)

# Billing state from the Stripe mirror, worst first, and what it adds to the health score (of 40).
BILLING_POINTS = {
    "unpaid": 0,
    "past_due": 10,
    "incomplete": 10,
    "canceled": 0,
    "incomplete_expired": 0,
    "paused": 15,
    "trialing": 30,
    "active": 40,
    "none": 25,
}
_BILLING_RANK = [
    "unpaid",
    "past_due",
    "incomplete",
    "incomplete_expired",
    "paused",
    "trialing",
    "active",
    "canceled",
]
AT_RISK_BELOW = 50


def app_names(session: Session) -> dict[int, str]:
    """App id to name, with 0 standing for all apps together."""
    names = {app_id: name for app_id, name in session.exec(select(App.id, App.name).order_by(App.name))}
    return {ALL_APPS: "All apps", **names}


def _frame(rows, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)


def _app_filter(column, app_id: int | None):
    return True if app_id is None else column == app_id


def daily_actives(session: Session, *, start: date, end: date, app_id: int | None) -> pd.DataFrame:
    """DAU, WAU, MAU, stickiness (DAU/MAU), 30-day active accounts and events per app and day.

    `app_id=None` gives every app plus the all-apps row (app 0); an app id gives just that app.
    """
    rows = session.exec(
        select(
            AppDailyActives.day,
            AppDailyActives.app_id,
            AppDailyActives.dau,
            AppDailyActives.wau,
            AppDailyActives.mau,
            AppDailyActives.active_accounts,
            AppDailyActives.events,
        )
        .where(
            AppDailyActives.day >= start,
            AppDailyActives.day <= end,
            _app_filter(AppDailyActives.app_id, app_id),
        )
        .order_by(AppDailyActives.day, AppDailyActives.app_id)
    ).all()
    frame = _frame(rows, ["day", "app_id", "dau", "wau", "mau", "active_accounts", "events"])
    frame["stickiness"] = (frame["dau"] / frame["mau"].where(frame["mau"] > 0)).fillna(0.0)
    frame["app"] = frame["app_id"].map(app_names(session))
    return frame


def latest_actives(frame: pd.DataFrame) -> pd.DataFrame:
    """The last day's row per app from a `daily_actives` frame, plus stickiness averaged over the range."""
    if frame.empty:
        return frame
    last = frame[frame["day"] == frame["day"].max()].set_index("app_id")
    last["avg_stickiness"] = frame.groupby("app_id")["stickiness"].mean()
    return last.reset_index()[["app", "dau", "wau", "mau", "stickiness", "avg_stickiness", "active_accounts"]]


def feature_events(session: Session, *, start: date, end: date, app_id: int | None) -> pd.DataFrame:
    """Events, actors and accounts per day, app and feature."""
    rows = session.exec(
        select(
            UsageFeatureDay.day,
            UsageFeatureDay.app_id,
            UsageFeatureDay.feature,
            UsageFeatureDay.events,
            UsageFeatureDay.actors,
            UsageFeatureDay.accounts,
        )
        .where(
            UsageFeatureDay.day >= start,
            UsageFeatureDay.day <= end,
            _app_filter(UsageFeatureDay.app_id, app_id),
        )
        .order_by(UsageFeatureDay.day)
    ).all()
    frame = _frame(rows, ["day", "app_id", "feature", "events", "actors", "accounts"])
    frame["app"] = frame["app_id"].map(app_names(session))
    return frame


def feature_adoption(session: Session, *, month: date, app_id: int | None) -> pd.DataFrame:
    """Share of the app's active accounts in `month` that used each feature."""
    active = dict(
        session.exec(
            select(UsageAccountMonth.app_id, func.count())
            .where(UsageAccountMonth.month == month, _app_filter(UsageAccountMonth.app_id, app_id))
            .group_by(UsageAccountMonth.app_id)
        ).all()
    )
    rows = session.exec(
        select(
            UsageFeatureMonth.app_id,
            UsageFeatureMonth.feature,
            UsageFeatureMonth.accounts,
            UsageFeatureMonth.events,
        ).where(UsageFeatureMonth.month == month, _app_filter(UsageFeatureMonth.app_id, app_id))
    ).all()
    frame = _frame(rows, ["app_id", "feature", "accounts", "events"])
    frame["active_accounts"] = frame["app_id"].map(active).fillna(0).astype(int)
    active_accounts = frame["active_accounts"].where(frame["active_accounts"] > 0)
    frame["adoption"] = (frame["accounts"] / active_accounts).fillna(0)
    frame["app"] = frame["app_id"].map(app_names(session))
    return frame.sort_values(["app", "adoption"], ascending=[True, False])[
        ["app", "feature", "accounts", "active_accounts", "adoption", "events"]
    ]


def month_start(day: date) -> date:
    return day.replace(day=1)


def previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def last_complete_month(end: date) -> date:
    """The latest calendar month that ends on or before `end` (trends compare whole months)."""
    return previous_month(month_start(end + timedelta(days=1)))


def account_months(session: Session, *, month: date, app_id: int | None) -> pd.DataFrame:
    """Per account: events and active agents in `month` and the month before, and the change."""
    before = previous_month(month)
    this = func.sum(case((UsageAccountMonth.month == month, UsageAccountMonth.events), else_=0))
    prev = func.sum(case((UsageAccountMonth.month == before, UsageAccountMonth.events), else_=0))
    agents = func.sum(case((UsageAccountMonth.month == month, UsageAccountMonth.actors), else_=0))
    rows = session.exec(
        select(Account.id, Account.company_name, this, prev, agents)
        .join(Account, Account.id == UsageAccountMonth.account_id)
        .where(UsageAccountMonth.month.in_([month, before]), _app_filter(UsageAccountMonth.app_id, app_id))
        .group_by(Account.id, Account.company_name)
    ).all()
    frame = _frame(rows, ["account_id", "company", "events", "events_previous", "active_agents"])
    frame["change"] = (frame["events"] - frame["events_previous"]) / frame["events_previous"].where(
        frame["events_previous"] > 0
    )
    return frame


def top_accounts(frame: pd.DataFrame, limit: int = 20) -> pd.DataFrame:
    return frame.nlargest(limit, "events")


def declining_accounts(frame: pd.DataFrame, limit: int = 20) -> pd.DataFrame:
    falling = frame[(frame["events_previous"] > 0) & (frame["events"] < frame["events_previous"])]
    return (
        falling.assign(drop=falling["events_previous"] - falling["events"])
        .nlargest(limit, "drop")
        .drop(columns="drop")
    )


def retention_cohorts(session: Session, *, start: date, end: date, app_id: int | None) -> pd.DataFrame:
    """Cohort matrix: rows = first active month, columns = months since, values = share still active."""
    rows = session.exec(
        select(UsageCohort.cohort_month, UsageCohort.month, UsageCohort.accounts).where(
            UsageCohort.app_id == (app_id or ALL_APPS),
            UsageCohort.cohort_month >= month_start(start),
            UsageCohort.cohort_month <= end,
        )
    ).all()
    frame = _frame(rows, ["cohort", "month", "accounts"])
    if frame.empty:
        return pd.DataFrame()
    frame["cohort"] = pd.to_datetime(frame["cohort"])
    frame["month"] = pd.to_datetime(frame["month"])
    frame["months_since"] = (
        (frame["month"].dt.year - frame["cohort"].dt.year) * 12
        + frame["month"].dt.month
        - frame["cohort"].dt.month
    )
    sizes = frame[frame["months_since"] == 0].set_index("cohort")["accounts"]
    frame["share"] = frame["accounts"] / frame["cohort"].map(sizes)
    matrix = frame.pivot_table(index="cohort", columns="months_since", values="share")
    matrix.insert(0, "accounts", sizes)
    matrix.index = matrix.index.strftime("%Y-%m")
    matrix.columns = [str(column) for column in matrix.columns]
    return matrix


def billing_states(session: Session, *, app_id: int | None = None) -> dict[int, str]:
    """Each account's worst current subscription status in the Stripe mirror (for one app, or any)."""
    rank = case(
        *((StripeSubscription.status == status, position) for position, status in enumerate(_BILLING_RANK)),
        else_=len(_BILLING_RANK),
    )
    rows = session.exec(
        select(StripeSubscription.account_id, func.min(rank))
        .where(StripeSubscription.account_id.is_not(None), _app_filter(StripeSubscription.app_id, app_id))
        .group_by(StripeSubscription.account_id)
    ).all()
    return {
        account_id: _BILLING_RANK[position] if position < len(_BILLING_RANK) else "none"
        for account_id, position in rows
    }


def account_health(session: Session, *, month: date, app_id: int | None) -> pd.DataFrame:
    """Health 0-100: usage trend (up to 60, `month` against the month before) + billing (up to 40)."""
    states = billing_states(session, app_id=app_id)
    frame = _with_silent_billed_accounts(session, account_months(session, month=month, app_id=app_id), states)
    frame["billing"] = frame["account_id"].map(states).fillna("none")
    ratio = (frame["events"] / frame["events_previous"].where(frame["events_previous"] > 0)).fillna(
        (frame["events"] > 0).astype(float)
    )
    frame["usage_points"] = (60 * ratio.clip(upper=1.0)).round().astype(int)
    frame["billing_points"] = frame["billing"].map(BILLING_POINTS).astype(int)
    frame["health"] = frame["usage_points"] + frame["billing_points"]
    frame["at_risk"] = frame["health"] < AT_RISK_BELOW
    frame["link"] = frame["account_id"].map(account_link)
    return frame.sort_values("health")


def _with_silent_billed_accounts(
    session: Session, frame: pd.DataFrame, states: dict[int, str]
) -> pd.DataFrame:
    """Add accounts still billed (not canceled) that had no usage at all in either month: the riskiest."""
    silent = sorted(
        set(states)
        - set(frame["account_id"])
        - {account_id for account_id, state in states.items() if state in ("canceled", "incomplete_expired")}
    )
    if not silent:
        return frame
    names = session.exec(select(Account.id, Account.company_name).where(Account.id.in_(silent))).all()
    extra = pd.DataFrame(
        [
            {
                "account_id": account_id,
                "company": name,
                "events": 0,
                "events_previous": 0,
                "active_agents": 0,
                "change": None,
            }
            for account_id, name in names
        ]
    )
    return pd.concat([frame, extra], ignore_index=True) if not frame.empty else extra


def churn_risk(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["at_risk"]]
