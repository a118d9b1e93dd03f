"""Showing stored UTC times in the viewer's time zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from dashboard.core import clock

VIEWER_TZ_KEY = "viewer_timezone"


def viewer_timezone() -> str:
    """The signed-in user's zone from their profile (loaded at sign-in), else the browser's, else UTC."""
    chosen = st.session_state.get(VIEWER_TZ_KEY)
    if chosen:
        return chosen
    browser = getattr(st.context, "timezone", None)
    return browser or "UTC"


def viewer_today() -> date:
    """Today in the viewer's zone: deadlines are dates, and "due today" means the viewer's today."""
    return clock.today(viewer_timezone())


def to_viewer(value: datetime | None) -> datetime | None:
    return value.astimezone(ZoneInfo(viewer_timezone())) if value is not None else None


def frame_to_viewer(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Convert UTC datetime columns of a frame to the viewer's zone (in place, returned for chaining)."""
    tz = viewer_timezone()
    for column in columns:
        if column in frame:
            frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_convert(tz)
    return frame
