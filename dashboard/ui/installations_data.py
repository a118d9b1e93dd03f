"""Cached loaders for the installations and reconciliation pages (cleared after a sync or an import)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

import pandas as pd
import streamlit as st

from dashboard.billing import reconciliation
from dashboard.billing.revenue.fx import reporting_currency
from dashboard.core.money import to_major
from dashboard.ui.store import db_session
from dashboard.zendesk import installations, screens
from dashboard.zendesk.screens import InstallationsScreen

CACHE_SECONDS = 120


@st.cache_data(ttl=CACHE_SECONDS, show_spinner="Loading installations…")
def installations_screen(filters: installations.InstallationFilters, today: date) -> InstallationsScreen:
    with db_session() as session:
        return screens.installations_screen(session, filters, today=today)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner="Reconciling installations with Stripe…")
def reconciliation_frame() -> pd.DataFrame:
    """Every reconciliation row; `at_stake` is the amount in reporting-currency major units, for display."""
    with db_session() as session:
        rows = reconciliation.reconcile(session)
    frame = pd.DataFrame(
        [{**asdict(row), "category_label": row.category_label} for row in rows],
        columns=[*reconciliation.ReconciliationRow.__dataclass_fields__, "category_label"],
    )
    frame["account_link"] = frame["account_id"].map(installations.account_link)
    reporting = reporting_currency()
    frame["at_stake"] = [
        None if pd.isna(value) else float(to_major(int(value), reporting))
        for value in frame["at_stake_minor"]
    ]
    return frame


def clear_installation_caches() -> None:
    for loader in (installations_screen, reconciliation_frame):
        loader.clear()
