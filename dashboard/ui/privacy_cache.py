"""Cached look-ups and report views for the privacy pages."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st
from plotly.graph_objects import Figure

from dashboard.privacy import reports
from dashboard.privacy.requests import client_account_choices
from dashboard.ui.privacy import jurisdiction_label, type_label
from dashboard.ui.store import db_session

REPORT_CACHE_SECONDS = 60


@st.cache_data(ttl=300, show_spinner=False)
def client_accounts() -> dict[int, str]:
    """Client accounts as {id: "Company (subdomain)"} for pickers."""
    with db_session() as session:
        return client_account_choices(session)


# cache_resource, not cache_data: the faceted figure is most of the page's time, and cache_data would
# pickle a copy of it on every run. Callers only read what it returns.
@st.cache_resource(ttl=REPORT_CACHE_SECONDS, show_spinner="Counting requests…")
def yearly_report_view(by: str) -> tuple[pd.DataFrame, Figure | None]:
    """The yearly report broken down `by` type or jurisdiction, labelled for people, and its chart."""
    with db_session() as session:
        report = reports.yearly_report(session, by=by)
    label = type_label if by == "type" else jurisdiction_label
    report["group"] = report["group"].map(lambda g: "All" if g == "all" else label(g))
    detail = report[report["group"] != "All"]
    if detail.empty:
        return report, None
    long = detail.melt(
        id_vars=["year", "group"],
        value_vars=["received", "completed", "denied"],
        var_name="measure",
        value_name="requests",
    )
    chart = px.bar(
        long,
        x="group",
        y="requests",
        color="measure",
        barmode="group",
        facet_col="year",
        hover_data={"year": True, "group": True, "requests": True},
        labels={"group": by.capitalize(), "requests": "Requests", "measure": ""},
    )
    return report, chart
