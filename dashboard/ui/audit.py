"""Cached lookups and the CSV builder for the Audit log page."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from dashboard.core import audit_query
from dashboard.core.db import session_scope
from dashboard.ui.store import db_session


@st.cache_data(ttl=60, show_spinner=False)
def audit_filter_options() -> tuple[list[str], list[str]]:
    """The actions and target types that occur in the log, for the filter boxes."""
    with db_session() as session:
        return audit_query.known_actions(session), audit_query.known_target_types(session)


def export_frame(engine: Engine, flt: audit_query.AuditFilter, tz_name: str) -> pd.DataFrame:
    """Every matching row with times in `tz_name`. Runs when the download is clicked, outside the
    script run, hence the explicit engine."""
    with session_scope(engine) as session:
        rows = audit_query.export_events(session, flt)
    frame = pd.DataFrame(rows, columns=list(audit_query.COLUMNS))
    frame["at"] = pd.to_datetime(frame["at"], utc=True).dt.tz_convert(tz_name)
    return frame
