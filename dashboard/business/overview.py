"""The executive overview: headline figures against the previous period. No personal data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pandas as pd
from sqlalchemy import func, or_
from sqlmodel import Session, select

from dashboard.billing.revenue import MonthRevenue, monthly_revenue

__all__ = ["Kpi", "MonthRevenue", "RevenueOverview"]
from dashboard.usage.metrics import month_start, previous_month
from dashboard.usage.rollup import ALL_APPS
from models import AppDailyActives, Installation, PrivacyRequest

CLOSED_PRIVACY_STATUSES = ("completed", "denied", "withdrawn")


@dataclass(frozen=True)
class Kpi:
    label: str
    value: int | Decimal | None  # None: not known (e.g. NRR with no revenue at the start)
    previous: int | Decimal | None  # None: no comparison for this figure
    kind: str = "count"  # count | money (reporting-currency minor units) | ratio

    @property
    def change(self) -> int | Decimal | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


@dataclass(frozen=True)
class RevenueOverview:
    kpis: list[Kpi]
    months: list[MonthRevenue]  # the trend, oldest first


def revenue_overview(
    session: Session, *, today: date, period_days: int, trend_months: int = 12
) -> RevenueOverview:
    """MRR, ARR and paying accounts now against one period ago; NRR of the last complete month
    against the month one period before it; and the monthly MRR trend."""
    this_month = month_start(today)
    then_month = month_start(today - timedelta(days=period_days))
    first = previous_month(min(then_month, _months_back(this_month, trend_months - 1)))
    months = monthly_revenue(session, start=first, end=today, as_of=today)
    by_month = {row.month: row for row in months}
    now, then = by_month[this_month], by_month[then_month]
    last_full, before_full = by_month[previous_month(this_month)], by_month[previous_month(then_month)]
    kpis = [
        Kpi("MRR", now.mrr, then.mrr, "money"),
        Kpi("ARR", now.arr, then.arr, "money"),
        Kpi("Paying accounts", now.paying_accounts, then.paying_accounts),
        Kpi(
            "NRR (last full month)",
            last_full.net_revenue_retention,
            before_full.net_revenue_retention,
            "ratio",
        ),
    ]
    trend = [row for row in months if row.month >= _months_back(this_month, trend_months - 1)]
    return RevenueOverview(kpis, trend)


def _months_back(month: date, count: int) -> date:
    for _ in range(count):
        month = previous_month(month)
    return month


def mrr_trend_frame(months: list[MonthRevenue]) -> pd.DataFrame:
    """The monthly trend as a table: MRR, its movements and paying accounts (minor units)."""
    return pd.DataFrame(
        [
            {
                "month": row.month,
                "mrr": row.mrr,
                "new": row.new,
                "expansion": row.expansion,
                "reactivation": row.reactivation,
                "contraction": row.contraction,
                "churn": row.churn,
                "paying_accounts": row.paying_accounts,
                "nrr": float(row.net_revenue_retention) if row.net_revenue_retention is not None else None,
            }
            for row in months
        ]
    )


def active_installations(session: Session, *, at: datetime) -> int:
    """Installations installed by `at` and not uninstalled by then."""
    return session.exec(
        select(func.count())
        .select_from(Installation)
        .where(
            or_(Installation.installed_at.is_(None), Installation.installed_at <= at),
            or_(Installation.uninstalled_at.is_(None), Installation.uninstalled_at > at),
        )
    ).one()


def mau_on(session: Session, *, day: date) -> int:
    """All-apps monthly active users on the latest rolled-up day up to `day`."""
    value = session.exec(
        select(AppDailyActives.mau)
        .where(AppDailyActives.app_id == ALL_APPS, AppDailyActives.day <= day)
        .order_by(AppDailyActives.day.desc())
        .limit(1)
    ).first()
    return value or 0


def privacy_request_counts(session: Session, *, today: date) -> tuple[int, int]:
    """(open, overdue): open = not completed, denied or withdrawn; overdue = open and past its due date."""
    is_open = PrivacyRequest.status.not_in(CLOSED_PRIVACY_STATUSES)
    open_count = session.exec(select(func.count()).select_from(PrivacyRequest).where(is_open)).one()
    overdue = session.exec(
        select(func.count())
        .select_from(PrivacyRequest)
        .where(is_open, PrivacyRequest.due_on.is_not(None), PrivacyRequest.due_on < today)
    ).one()
    return open_count, overdue


def usage_and_install_kpis(session: Session, *, today: date, period_days: int) -> list[Kpi]:
    """Active installations and MAU now and one period ago, and open/overdue privacy requests now."""
    now = datetime.combine(today, datetime.max.time(), tzinfo=UTC)
    before = now - timedelta(days=period_days)
    open_requests, overdue_requests = privacy_request_counts(session, today=today)
    return [
        Kpi(
            "Active installations",
            active_installations(session, at=now),
            active_installations(session, at=before),
        ),
        Kpi("MAU", mau_on(session, day=today), mau_on(session, day=before.date())),
        Kpi("Open privacy requests", open_requests, None),
        Kpi("Overdue privacy requests", overdue_requests, None),
    ]


def net_installs(session: Session, *, start: date, end: date) -> pd.DataFrame:
    """Installs, uninstalls and net installs per month (first day) between `start` and `end`."""
    lo = datetime.combine(start.replace(day=1), datetime.min.time(), tzinfo=UTC)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    installed = session.exec(
        select(Installation.installed_at).where(
            Installation.installed_at >= lo, Installation.installed_at < hi
        )
    ).all()
    uninstalled = session.exec(
        select(Installation.uninstalled_at).where(
            Installation.uninstalled_at >= lo, Installation.uninstalled_at < hi
        )
    ).all()
    months = pd.date_range(lo.date(), end, freq="MS")
    frame = pd.DataFrame({"month": months})
    frame["installs"] = frame["month"].map(_per_month(installed)).fillna(0).astype(int)
    frame["uninstalls"] = frame["month"].map(_per_month(uninstalled)).fillna(0).astype(int)
    frame["net"] = frame["installs"] - frame["uninstalls"]
    return frame


def _per_month(times: list[datetime]) -> pd.Series:
    if not times:
        return pd.Series(dtype=int)
    stamps = pd.to_datetime(pd.Series(times), utc=True).dt.tz_localize(None)
    return stamps.dt.to_period("M").dt.to_timestamp().value_counts()
