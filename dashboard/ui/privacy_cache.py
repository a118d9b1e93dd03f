"""Cached look-ups for the privacy pages."""

from __future__ import annotations

import streamlit as st

from dashboard.privacy.requests import client_account_choices
from dashboard.ui.store import db_session


@st.cache_data(ttl=300, show_spinner=False)
def client_accounts() -> dict[int, str]:
    """Client accounts as {id: "Company (subdomain)"} for pickers."""
    with db_session() as session:
        return client_account_choices(session)
