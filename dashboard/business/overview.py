"""The executive Overview as data (`overview_screen`): headline figures against the previous period,
the MRR trend, net installs and usage. No personal data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

import pandas as pd
from sqlalchemy import func, or_
from sqlmodel import Session, select

from dashboard.billing.revenue import MonthRevenue, monthly_revenue, reporting_currency
from dashboard.billing.revenue.screen import month_columns
from dashboard.presentation import text
from dashboard.presentation.columns import Column, Columns, Kind
from dashboard.usage.metrics import daily_actives, month_start, previous_month
from dashboard.usage.rollup import ALL_APPS
from models import AppDailyActives, Installation, PrivacyRequest

CLOSED_PRIVACY_STATUSES = ("completed", "denied", "withdrawn")

# The comparison periods the page offers (days → words); the trends always cover at least a year.
PERIODS = {30: "Last 30 days", 90: "Last 90 days", 365: "Last 12 months"}
DEFAULT_PERIOD = 30
TREND_DAYS = 365


class KpiKind(StrEnum):
    COUNT = "count"
    MONEY = "money"  # reporting-currency minor units
    RATIO = "ratio"  # 0.95 is 95%


@dataclass(frozen=True)
class Kpi:
    label: str
    value: int | Decimal | None  # None: not known (e.g. NRR with no revenue at the start)
    previous: int | Decimal | None  # None: no comparison for this figure
    kind: KpiKind = KpiKind.COUNT
    currency: str | None = None  # MONEY: the reporting currency
    lower_is_better: bool = False  # a rise is bad news (drawn red)

    @property
    def change(self) -> int | Decimal | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def value_text(self) -> str:
        if self.value is None:
            return text.MISSING
        if self.kind is KpiKind.MONEY:
            return text.money(int(self.value), self.currency)
        if self.kind is KpiKind.RATIO:
            return text.percent(self.value)
        return text.count(self.value)

    @property
    def change_text(self) -> str | None:
        """The change against the previous period ("+$50.00", "-1", "+2.5 pp"); None without one."""
        change = self.change
        if change is None:
            return None
        if self.kind is KpiKind.MONEY:
            return text.signed_money(int(change), self.currency)
        if self.kind is KpiKind.RATIO:
            return f"{float(change) * 100:+.1f} pp"  # percentage points, not a percentage
        return f"{int(change):+,}"


@dataclass(frozen=True)
class RevenueOverview:
    kpis: list[Kpi]
    months: list[MonthRevenue]  # the trend, oldest first


def revenue_overview(
    session: Session, *, today: date, period_days: int, currency: str, trend_months: int = 12
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
        Kpi("MRR", now.mrr, then.mrr, KpiKind.MONEY, currency),
        Kpi("ARR", now.arr, then.arr, KpiKind.MONEY, currency),
        Kpi("Paying accounts", now.paying_accounts, then.paying_accounts),
        Kpi(
            "NRR (last full month)",
            last_full.net_revenue_retention,
            before_full.net_revenue_retention,
            KpiKind.RATIO,
        ),
    ]
    trend = [row for row in months if row.month >= _months_back(this_month, trend_months - 1)]
    return RevenueOverview(kpis, trend)


def _months_back(month: date, count: int) -> date:
    for _ in range(count):
        month = previous_month(month)
    return month


TREND_FIELDS = (
    "month",
    "new",
    "expansion",
    "reactivation",
    "contraction",
    "churn",
    "mrr",
    "paying_accounts",
    "net_revenue_retention",
)


def mrr_trend_frame(months: list[MonthRevenue]) -> pd.DataFrame:
    """The monthly trend as a table: MRR, its movements (minor units), paying accounts and NRR."""
    rows = [{name: getattr(row, name) for name in TREND_FIELDS} for row in months]
    frame = pd.DataFrame(rows, columns=list(TREND_FIELDS))
    frame["net_revenue_retention"] = frame["net_revenue_retention"].map(
        lambda ratio: None if ratio is None or pd.isna(ratio) else float(ratio)
    )
    return frame


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
        Kpi("Open privacy requests", open_requests, None, lower_is_better=True),
        Kpi("Overdue privacy requests", overdue_requests, None, lower_is_better=True),
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


INSTALL_COLUMNS: Columns = {
    "month": Column("Month", Kind.DATE),
    "installs": Column("Installs", Kind.COUNT),
    "uninstalls": Column("Uninstalls", Kind.COUNT),
    "net": Column("Net installs", Kind.COUNT, help="Installs minus uninstalls"),
}
USAGE_COLUMNS: Columns = {
    "day": Column("Day (UTC)", Kind.DATE),
    "dau": Column("DAU", Kind.COUNT, help="Users active that day, all apps"),
    "wau": Column("WAU", Kind.COUNT, help="Users active in the 7 days up to it"),
    "mau": Column("MAU", Kind.COUNT, help="Users active in the 30 days up to it"),
    "stickiness": Column("Stickiness (DAU/MAU)", Kind.PERCENT),
    "events": Column("Events", Kind.COUNT),
}


@dataclass(frozen=True)
class OverviewInputs:
    period_days: int = DEFAULT_PERIOD

    @classmethod
    def from_param(cls, value: str | None) -> OverviewInputs:
        """The period named in the URL (`?period=90`); anything else is the default."""
        try:
            days = int(value or DEFAULT_PERIOD)
        except ValueError:
            days = DEFAULT_PERIOD
        return cls(days if days in PERIODS else DEFAULT_PERIOD)


@dataclass(frozen=True)
class OverviewScreen:
    inputs: OverviewInputs
    today: date
    currency: str  # the reporting currency: every money figure is in its minor units
    tiles: list[Kpi]  # revenue first, then installations, usage and privacy
    months: list[MonthRevenue]  # the MRR trend, oldest first, 12 months up to today's
    mrr_rows: pd.DataFrame  # `mrr_trend_frame` of `months`, `mrr_columns`
    installs: pd.DataFrame  # month, installs, uninstalls, net over the trend span (`INSTALL_COLUMNS`)
    usage: pd.DataFrame  # all apps per day over the trend span (`USAGE_COLUMNS`)

    @property
    def trend_start(self) -> date:
        return trend_start(self.today, self.inputs.period_days)

    @property
    def missing_rates(self) -> list[MonthRevenue]:
        """Months of the trend left blank because an exchange rate is missing."""
        return [month for month in self.months if month.missing_rates]

    @property
    def comparison(self) -> str:
        return f"Compared with {self.inputs.period_days} days earlier"

    @property
    def mrr_columns(self) -> Columns:
        return month_columns(self.currency)


def trend_start(today: date, period_days: int) -> date:
    """The trends cover the comparison period or a year, whichever is longer."""
    return today - timedelta(days=max(period_days, TREND_DAYS))


def overview_screen(session: Session, inputs: OverviewInputs, *, today: date) -> OverviewScreen:
    currency = reporting_currency()
    days = inputs.period_days
    revenue = revenue_overview(session, today=today, period_days=days, currency=currency)
    start = trend_start(today, days)
    usage = daily_actives(session, start=start, end=today, app_id=ALL_APPS)
    return OverviewScreen(
        inputs=inputs,
        today=today,
        currency=currency,
        tiles=revenue.kpis + usage_and_install_kpis(session, today=today, period_days=days),
        months=revenue.months,
        mrr_rows=mrr_trend_frame(revenue.months),
        installs=net_installs(session, start=start, end=today),
        usage=usage[list(USAGE_COLUMNS)].reset_index(drop=True),
    )
