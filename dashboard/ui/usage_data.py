"""Cached loaders and shared widgets for the Usage and Overview pages (figures from dashboard.usage)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from dashboard import clock, overview
from dashboard.ids import parse_id
from dashboard.money import exponent, format_money
from dashboard.revenue import reporting_currency
from dashboard.ui.store import db_session
from dashboard.ui.tables import csv_download
from dashboard.usage import metrics

CACHE_SECONDS = 300


def today_utc() -> date:
    return clock.today()


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def app_names() -> dict[int, str]:
    with db_session() as session:
        return metrics.app_names(session)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def daily_actives(start: date, end: date, app_id: int | None) -> pd.DataFrame:
    with db_session() as session:
        return metrics.daily_actives(session, start=start, end=end, app_id=app_id)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def feature_events(start: date, end: date, app_id: int | None) -> pd.DataFrame:
    with db_session() as session:
        return metrics.feature_events(session, start=start, end=end, app_id=app_id)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def feature_adoption(month: date, app_id: int | None) -> pd.DataFrame:
    with db_session() as session:
        return metrics.feature_adoption(session, month=month, app_id=app_id)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def account_health(month: date, app_id: int | None) -> pd.DataFrame:
    with db_session() as session:
        return metrics.account_health(session, month=month, app_id=app_id)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def retention_cohorts(start: date, end: date, app_id: int | None) -> pd.DataFrame:
    with db_session() as session:
        return metrics.retention_cohorts(session, start=start, end=end, app_id=app_id)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def overview_kpis(today: date, period_days: int) -> list[overview.Kpi]:
    with db_session() as session:
        return overview.usage_and_install_kpis(session, today=today, period_days=period_days)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def revenue_overview(today: date, period_days: int) -> overview.RevenueOverview:
    with db_session() as session:
        return overview.revenue_overview(session, today=today, period_days=period_days)


MONEY_COLUMNS = ("mrr", "new", "expansion", "reactivation", "contraction", "churn")


def mrr_trend_table(months: list[overview.MonthRevenue]) -> pd.DataFrame:
    """The MRR trend with money in major units of the reporting currency, for display only."""
    frame = overview.mrr_trend_frame(months)
    if not frame.empty:
        frame[list(MONEY_COLUMNS)] = frame[list(MONEY_COLUMNS)] / 10 ** exponent(reporting_currency())
    return frame


def kpi_texts(kpi: overview.Kpi) -> tuple[str, str | None]:
    """The tile's value and its change, formatted for the KPI's kind."""
    if kpi.value is None:
        return "–", None
    change = kpi.change
    if kpi.kind == "money":
        currency = reporting_currency()
        return format_money(int(kpi.value), currency), (
            None if change is None else ("+" if change >= 0 else "") + format_money(int(change), currency)
        )
    if kpi.kind == "ratio":
        return f"{kpi.value:.1%}", None if change is None else f"{change * 100:+.1f} pp"
    return f"{kpi.value:,}", None if change is None else f"{change:+,}"


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def net_installs(start: date, end: date) -> pd.DataFrame:
    with db_session() as session:
        return overview.net_installs(session, start=start, end=end)


def _param_date(name: str) -> date | None:
    try:
        return date.fromisoformat(st.query_params.get(name, ""))
    except ValueError:
        return None


def date_range_filter(*, default_days: int) -> tuple[date, date]:
    """Start and end dates kept in the URL (`start`, `end`); a bad or reversed range falls back."""
    today = today_utc()
    start = _param_date("start") or today - timedelta(days=default_days)
    end = min(_param_date("end") or today, today)
    if start > end:
        start, end = today - timedelta(days=default_days), today
    picked = st.date_input("Dates (UTC)", value=(start, end), max_value=today, key="usage_dates")
    if isinstance(picked, tuple) and len(picked) == 2:
        start, end = picked
    else:
        st.caption("Pick an end date too.")
    st.query_params["start"], st.query_params["end"] = start.isoformat(), end.isoformat()
    return start, end


def app_filter() -> int | None:
    """An app picked from the list, kept in the URL (`app`); None means all apps."""
    names = {app_id: name for app_id, name in app_names().items() if app_id != metrics.ALL_APPS}
    options: list[int | None] = [None, *names]
    current = st.query_params.get("app")
    chosen = parse_id(current) if parse_id(current) in names else None
    app_id = st.selectbox(
        "App",
        options,
        index=options.index(chosen),
        format_func=lambda value: "All apps" if value is None else names[value],
    )
    if app_id is None:
        st.query_params.pop("app", None)
    else:
        st.query_params["app"] = str(app_id)
    return app_id


def table_with_download(
    frame: pd.DataFrame, *, name: str, column_config: dict | None = None, hide_index: bool = True
) -> None:
    """A table and a CSV download (built on click, formula-safe) of the same rows."""
    st.dataframe(frame, column_config=column_config, hide_index=hide_index, width="stretch")
    rows = frame if hide_index else frame.reset_index()
    csv_download(
        lambda: rows,
        file_name=f"{name.lower().replace(' ', '-')}.csv",
        key=f"download-{name}",
        label=f"Download {name} (CSV)",
    )
