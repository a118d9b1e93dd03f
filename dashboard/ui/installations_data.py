"""Cached loaders for the installations and reconciliation pages (cleared after a sync or an import)."""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd
import streamlit as st

from dashboard import installations, reconciliation
from dashboard.money import to_major
from dashboard.revenue.fx import reporting_currency
from dashboard.ui.store import db_session

CACHE_SECONDS = 120


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def filter_options() -> installations.FilterOptions:
    with db_session() as session:
        return installations.filter_options(session)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner="Loading installations…")
def installation_frame(filters: installations.InstallationFilters) -> pd.DataFrame:
    with db_session() as session:
        rows = installations.list_installations(session, filters)
    frame = pd.DataFrame(
        rows,
        columns=[
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
        ],
    )
    frame["account_link"] = _account_links(frame["account_id"])
    return frame


def _account_links(account_ids: pd.Series) -> pd.Series:
    """Links to the Account 360 page (`app_pages/account.py`, opened as ?id=)."""
    return account_ids.map(lambda value: f"/account?id={int(value)}" if pd.notna(value) else None)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def state_counts(filters: installations.InstallationFilters) -> dict[str, int]:
    with db_session() as session:
        return installations.counts_by_state(session, filters)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def weekly_frame(filters: installations.InstallationFilters) -> pd.DataFrame:
    with db_session() as session:
        rows = installations.weekly_changes(session, filters)
    return pd.DataFrame(rows, columns=["week", "app", "installs", "uninstalls", "net"])


@st.cache_data(ttl=CACHE_SECONDS, show_spinner="Reconciling installations with Stripe…")
def reconciliation_frame() -> pd.DataFrame:
    """Every reconciliation row; `at_stake` is the amount in reporting-currency major units, for display."""
    with db_session() as session:
        rows = reconciliation.reconcile(session)
    frame = pd.DataFrame(
        [{**asdict(row), "category_label": row.category_label} for row in rows],
        columns=[*reconciliation.ReconciliationRow.__dataclass_fields__, "category_label"],
    )
    frame["account_link"] = _account_links(frame["account_id"])
    reporting = reporting_currency()
    frame["at_stake"] = [
        None if pd.isna(value) else float(to_major(int(value), reporting))
        for value in frame["at_stake_minor"]
    ]
    return frame


def clear_installation_caches() -> None:
    for loader in (filter_options, installation_frame, state_counts, weekly_frame, reconciliation_frame):
        loader.clear()
