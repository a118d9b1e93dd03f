"""Cached loaders and shared widgets for the Overview page (figures from business.overview and usage)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboard.billing.revenue import reporting_currency
from dashboard.business import overview
from dashboard.core import clock
from dashboard.core.money import exponent, format_money
from dashboard.ui.store import db_session
from dashboard.ui.tables import csv_download
from dashboard.usage import metrics

CACHE_SECONDS = 300


def today_utc() -> date:
    return clock.today()


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def daily_actives(start: date, end: date, app_id: int | None) -> pd.DataFrame:
    with db_session() as session:
        return metrics.daily_actives(session, start=start, end=end, app_id=app_id)


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
