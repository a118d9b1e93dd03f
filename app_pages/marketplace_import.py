"""Marketplace import: upload the developer portal's installations CSV, preview, import the good rows."""

import hashlib

import pandas as pd
import streamlit as st

from dashboard.core.errors import ValidationError
from dashboard.ui.access import require_page
from dashboard.ui.cache_groups import Group, clear_group
from dashboard.ui.store import db_session
from dashboard.ui.tables import csv_download
from dashboard.zendesk import marketplace_import as mi

actor = require_page("marketplace-import")
st.title("Marketplace import")
st.caption(
    f"CSV columns: {', '.join(mi.REQUIRED_COLUMNS)} (required); {', '.join(mi.OPTIONAL_COLUMNS)} "
    "(optional). Dates as YYYY-MM-DD. Cells are stored as plain text; nothing in them is run."
)

upload = st.file_uploader("Marketplace installations export (CSV)", type=["csv"])
file_error = st.empty()
if upload is None:
    st.stop()

PARSED_KEY = "marketplace_import_parsed"  # (file digest, parsed, preview): reruns do not read the file again
data = upload.getvalue()
digest = hashlib.sha256(data).hexdigest()
if st.session_state.get(PARSED_KEY, (None,))[0] != digest:
    bar = st.progress(0.0, text="Reading the file…")
    try:
        with db_session() as session:
            parsed = mi.parse_export(session, data, progress=lambda done: bar.progress(done, "Reading…"))
            bar.progress(1.0, text="Comparing with the stored installations…")
            preview = mi.preview_import(session, parsed)
    except ValidationError as error:
        bar.empty()
        file_error.error(error.message)
        st.stop()
    bar.empty()
    st.session_state[PARSED_KEY] = (digest, parsed, preview)
_, parsed, preview = st.session_state[PARSED_KEY]

actions = preview.counts
figures = {mi.ACTION_LABELS[name]: count for name, count in actions.items()}
figures["Rejected"] = len(parsed.rejected)
for column, (label, count) in zip(st.columns(len(figures)), figures.items(), strict=True):
    column.metric(label, f"{count:,}")

TEXT = st.column_config.TextColumn
if parsed.rejected:
    st.subheader("Rejected rows")
    rejected = pd.DataFrame(
        [{"line": r.line, "reason": r.reason, "row": r.cells_text} for r in parsed.rejected]
    )
    st.dataframe(
        rejected,
        hide_index=True,
        width="stretch",
        column_config={
            "line": st.column_config.NumberColumn("Line", format="%d"),
            "reason": TEXT("Reason"),
            "row": TEXT("Cells (as text)"),
        },
    )
    csv_download(rejected, file_name="rejected-rows.csv", key="rejected_csv", label="Download rejected rows")


def _plan_frame(plan: list[mi.PlannedChange]) -> pd.DataFrame:
    return pd.DataFrame(
        [vars(change) for change in plan], columns=list(mi.PlannedChange.__dataclass_fields__)
    )


def _whole_plan() -> pd.DataFrame:
    with db_session() as session:
        return _plan_frame(mi.plan_import(session, parsed))


st.subheader("Preview")
planned = sum(actions.values())
if planned > len(preview.first):
    st.caption(f"The first {len(preview.first):,} of {planned:,} rows; the download has them all.")
st.dataframe(
    _plan_frame(preview.first),
    hide_index=True,
    width="stretch",
    column_config={
        "line": st.column_config.NumberColumn("Line", format="%d"),
        "subdomain": TEXT("Subdomain"),
        "zendesk_app_id": st.column_config.NumberColumn("App id", format="%d"),
        "installation_id": st.column_config.NumberColumn("Installation id", format="%d"),
        "action": TEXT("Action"),
        "changes": TEXT("Changes"),
    },
)
csv_download(_whole_plan, file_name="import-preview.csv", key="preview_csv", label="Download preview")

to_write = actions["new"] + actions["update"]
if st.button(f"Import {to_write:,} new or changed row(s)", type="primary", disabled=to_write == 0):
    with db_session() as session:
        report = mi.apply_import(session, actor, parsed, file_name=upload.name)
    del st.session_state[PARSED_KEY]  # the preview is computed again against the new rows
    clear_group(Group.INSTALLATIONS)
    st.toast(
        f"Imported: {report.created} new, {report.updated} changed, {len(report.rejected)} rejected.",
        icon=":material/check:",
    )
    st.success(
        f"Imported {report.created} new and {report.updated} changed installation(s); "
        f"{report.unchanged} unchanged, {len(report.rejected)} rejected."
    )
