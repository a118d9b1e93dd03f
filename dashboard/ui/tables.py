"""Tables and their CSV downloads."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard.csv_export import frame_to_csv


def csv_download(
    frame: pd.DataFrame | Callable[[], pd.DataFrame], *, file_name: str, key: str, label: str = "Download CSV"
) -> None:
    """A CSV download button. Pass a function to build the frame only when the button is clicked
    (it then runs outside the script run: it must not touch `st.session_state`)."""
    data = (lambda: frame_to_csv(frame())) if callable(frame) else frame_to_csv(frame)
    st.download_button(
        label,
        data=data,
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
    )
