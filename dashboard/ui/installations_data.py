"""Cached loader for the Installations page (cleared after a sync or an import)."""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard.ui.store import db_session
from dashboard.zendesk import installations, screens
from dashboard.zendesk.screens import InstallationsScreen

CACHE_SECONDS = 120


@st.cache_data(ttl=CACHE_SECONDS, show_spinner="Loading installations…")
def installations_screen(filters: installations.InstallationFilters, today: date) -> InstallationsScreen:
    with db_session() as session:
        return screens.installations_screen(session, filters, today=today)


def clear_installation_caches() -> None:
    for loader in (installations_screen,):
        loader.clear()
