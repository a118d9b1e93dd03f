"""The Usage page as data: every figure, table and chart series it shows, for one date range and app.

Everything comes from the rollup tables (`dashboard.usage.metrics`), so the page's cost does not grow
with the raw event count. The page reads its inputs, calls `usage_screen`, and draws the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

import pandas as pd
from sqlmodel import Session

from dashboard.presentation.columns import Column, Columns, Kind
from dashboard.presentation.palette import MAX_SERIES
from dashboard.usage import metrics
from dashboard.usage.rollup import ALL_APPS

OTHER = "Other"
NO_SUBSCRIPTION = "no_subscription"  # metrics' billing state "none", named so it reads as words
HEALTH_BAND = 10  # the health chart groups scores in bands of ten points


class Measure(StrEnum):
    DAU = "dau"
    WAU = "wau"
    MAU = "mau"


MEASURE_LABELS = {
    Measure.DAU: "Daily active users (DAU)",
    Measure.WAU: "Weekly active users (WAU)",
    Measure.MAU: "Monthly active users (MAU)",
}


DEFAULT_DAYS = 90


@dataclass(frozen=True)
class UsageInputs:
    start: date
    end: date
    app_id: int | None = None  # None: every app and all apps together


def usage_range(start: date | None, end: date | None, *, today: date) -> tuple[date, date]:
    """The range a link asks for: the last DEFAULT_DAYS days when it names no start; never past today;
    a reversed range falls back to the default."""
    default = (today - timedelta(days=DEFAULT_DAYS), today)
    start, end = start or default[0], min(end or today, today)
    return default if start > end else (start, end)


@dataclass(frozen=True)
class UsageScreen:
    inputs: UsageInputs
    month: date  # the last whole month: adoption, accounts and health compare it with the month before
    latest: pd.DataFrame  # per app: the latest day's actives and the range's average stickiness
    latest_day: date | None  # the latest day in the range with usage rolled up
    daily: pd.DataFrame  # day, app, dau, wau, mau, stickiness (at most MAX_SERIES apps)
    weekly_events: pd.DataFrame  # week, series, events (apps, or one app's features; the rest as Other)
    events_series: str  # what `weekly_events` splits by: "App" or "Feature"
    partial_week: tuple[date, date] | None  # the last week when the range ends before its Sunday
    by_feature: pd.DataFrame
    adoption: pd.DataFrame
    top: pd.DataFrame
    declining: pd.DataFrame
    cohorts: pd.DataFrame  # long: cohort (month), months_since, accounts, share
    health_bands: pd.DataFrame  # band, billing, accounts
    at_risk: pd.DataFrame

    @property
    def has_usage(self) -> bool:
        return not self.latest.empty


LATEST_COLUMNS: Columns = {
    "app": Column("App"),
    "dau": Column("DAU", Kind.COUNT, help="Users active on the latest day with usage"),
    "wau": Column("WAU", Kind.COUNT, help="Users active in the 7 days up to it"),
    "mau": Column("MAU", Kind.COUNT, help="Users active in the 30 days up to it"),
    "stickiness": Column("Stickiness (DAU/MAU)", Kind.PERCENT),
    "avg_stickiness": Column("Average stickiness", Kind.PERCENT, help="Over the whole date range"),
    "active_accounts": Column("Active accounts (30 days)", Kind.COUNT),
}

FEATURE_COLUMNS: Columns = {
    "app": Column("App"),
    "feature": Column("Feature", Kind.ENUM),
    "events": Column("Events", Kind.COUNT),
}

ADOPTION_COLUMNS: Columns = {
    "app": Column("App"),
    "feature": Column("Feature", Kind.ENUM),
    "adoption": Column("Adoption", Kind.PERCENT, help="Share of the app's active accounts that used it"),
    "accounts": Column("Accounts using it", Kind.COUNT),
    "active_accounts": Column("Active accounts", Kind.COUNT),
    "events": Column("Events", Kind.COUNT),
}


def account_columns(month: date) -> Columns:
    return {
        "company": Column("Company"),
        "events": Column(f"Events {month:%b %Y}", Kind.COUNT),
        "events_previous": Column("Month before", Kind.COUNT),
        "change": Column("Change", Kind.PERCENT),
        "active_agents": Column("Active agents", Kind.COUNT),
    }


COHORT_COLUMNS: Columns = {
    "cohort": Column("First active month", Kind.DATE),
    "months_since": Column("Months since", Kind.COUNT),
    "accounts": Column("Accounts still active", Kind.COUNT),
    "share": Column("Share of the cohort", Kind.PERCENT),
}


def risk_columns(month: date) -> Columns:
    return {
        "link": Column("Account", Kind.LINK, link_text="Open"),
        "company": Column("Company"),
        "health": Column("Health (of 100)", Kind.COUNT),
        "billing": Column("Billing", Kind.ENUM),
        "events": Column(f"Events {month:%b %Y}", Kind.COUNT),
        "events_previous": Column("Month before", Kind.COUNT),
        "change": Column("Change", Kind.PERCENT),
    }


def usage_screen(session: Session, inputs: UsageInputs, *, today: date) -> UsageScreen:
    end = min(inputs.end, today)
    start, app_id = inputs.start, inputs.app_id
    month = metrics.last_complete_month(end)
    actives = metrics.daily_actives(session, start=start, end=end, app_id=app_id)
    features = metrics.feature_events(session, start=start, end=end, app_id=app_id)
    health = metrics.account_health(session, month=month, app_id=app_id)
    health["billing"] = health["billing"].replace({"none": NO_SUBSCRIPTION})
    series = "app" if app_id is None else "feature"
    return UsageScreen(
        inputs=UsageInputs(start, end, app_id),
        month=month,
        latest=metrics.latest_actives(actives),
        latest_day=actives["day"].max() if not actives.empty else None,
        daily=_busiest_apps(actives),
        weekly_events=weekly_events(features, series=series),
        events_series="App" if series == "app" else "Feature",
        partial_week=partial_week(end),
        by_feature=features.groupby(["app", "feature"], as_index=False)[["events"]].sum(),
        adoption=metrics.feature_adoption(session, month=month, app_id=app_id),
        top=metrics.top_accounts(health) if not health.empty else health,
        declining=metrics.declining_accounts(health) if not health.empty else health,
        cohorts=cohort_rows(metrics.retention_cohorts(session, start=start, end=end, app_id=app_id)),
        health_bands=health_bands(health),
        at_risk=metrics.churn_risk(health)[list(risk_columns(month))],
    )


def app_names(session: Session) -> dict[int, str]:
    """The app choices, without the all-apps row."""
    return {key: name for key, name in metrics.app_names(session).items() if key != ALL_APPS}


def _busiest_apps(actives: pd.DataFrame) -> pd.DataFrame:
    """The daily rows of at most MAX_SERIES series: all apps together first, then the busiest apps."""
    if actives.empty:
        return actives[["day", "app", "dau", "wau", "mau", "stickiness"]]
    busiest = actives.groupby("app_id")["mau"].sum().sort_values(ascending=False, kind="stable")
    keep = [ALL_APPS] if ALL_APPS in busiest.index else []
    keep += [app for app in busiest.index if app != ALL_APPS][: MAX_SERIES - len(keep)]
    kept = actives[actives["app_id"].isin(keep)]
    return kept[["day", "app", "dau", "wau", "mau", "stickiness"]].reset_index(drop=True)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def partial_week(end: date) -> tuple[date, date] | None:
    """The week the range ends in, when it ends before that week's Sunday (its bar is not whole)."""
    if end.weekday() == 6:
        return None
    start = week_start(end)
    return start, start + timedelta(days=7)


def weekly_events(features: pd.DataFrame, *, series: str) -> pd.DataFrame:
    """Events per week (Monday) and app or feature; beyond the busiest MAX_SERIES - 1, the rest are Other."""
    if features.empty:
        return pd.DataFrame(columns=["week", "series", "events"])
    totals = features.groupby(series)["events"].sum().sort_values(ascending=False, kind="stable")
    named = list(totals.index) if len(totals) <= MAX_SERIES else list(totals.index[: MAX_SERIES - 1])
    frame = features.assign(
        week=[week_start(day) for day in features["day"]],
        series=features[series].where(features[series].isin(named), OTHER),
    )
    weekly = frame.groupby(["week", "series"], as_index=False)["events"].sum()
    order = {name: position for position, name in enumerate([*named, OTHER])}
    return weekly.sort_values(["week", "series"], key=lambda c: c.map(order) if c.name == "series" else c)


def cohort_rows(matrix: pd.DataFrame) -> pd.DataFrame:
    """The cohort matrix as rows: first active month, months since, accounts still active, share."""
    if matrix.empty:
        return pd.DataFrame(columns=list(COHORT_COLUMNS))
    sizes = matrix["accounts"]
    shares = matrix.drop(columns="accounts")
    long = (
        shares.rename_axis("cohort")
        .reset_index()
        .melt(id_vars="cohort", var_name="months_since", value_name="share")
    )
    long = long.dropna(subset=["share"])
    long["months_since"] = long["months_since"].astype(int)
    long["accounts"] = (long["share"] * long["cohort"].map(sizes)).round().astype(int)
    long["cohort"] = [date.fromisoformat(f"{value}-01") for value in long["cohort"]]
    return long.sort_values(["cohort", "months_since"])[list(COHORT_COLUMNS)].reset_index(drop=True)


def health_bands(health: pd.DataFrame) -> pd.DataFrame:
    """Accounts per band of ten health points (90-100 is the top band) and billing state."""
    if health.empty:
        return pd.DataFrame(columns=["band", "billing", "accounts"])
    bands = (health["health"] // HEALTH_BAND * HEALTH_BAND).clip(upper=100 - HEALTH_BAND).astype(int)
    return (
        health.assign(band=bands)
        .groupby(["band", "billing"], as_index=False)
        .size()
        .rename(columns={"size": "accounts"})
    )
