"""Data map: what the store, Stripe and Zendesk hold about people, why and how long (GDPR art. 30)."""

import pandas as pd
import streamlit as st

from dashboard.core.csv_export import frame_to_csv
from dashboard.privacy.data_map import DATA_MAP_COLUMNS, SYSTEM_LABELS, data_map_screen
from dashboard.ui.access import require_page

actor = require_page("data-map")
st.title("Data map")
st.caption(
    "The records of processing (GDPR art. 30), generated from the code: each personal-data column's "
    "category, its table's purpose, legal basis, retention and source, and what an export and a deletion "
    "do with it."
)
screen = data_map_screen()
frame = pd.DataFrame(screen.all_rows(), columns=list(DATA_MAP_COLUMNS))
metrics = st.columns(len(SYSTEM_LABELS))
for slot, (system, label) in zip(metrics, SYSTEM_LABELS.items(), strict=True):
    slot.metric(label, f"{screen.counts.get(system, 0):,} fields")
st.download_button(
    "Download the data map (CSV)",
    frame_to_csv(frame),
    file_name="data-map.csv",
    mime="text/csv",
    icon=":material/download:",
    type="primary",
)
labels = {
    "record": "Table / record",
    "field": "Field",
    "category": "Category",
    "purpose": "Purpose",
    "legal_basis": "Legal basis",
    "retention": "Retention",
    "source": "Source",
    "export": "In an export",
    "deletion": "On deletion",
}
for system, label in SYSTEM_LABELS.items():
    st.subheader(label)
    st.dataframe(
        frame[frame["system"] == label].drop(columns=["system"]),
        hide_index=True,
        width="stretch",
        column_config=labels,
        key=f"data_map_{system}",
    )
