"""Privacy charts: the Privacy reports page's requests per group and year (from `ReportScreen`)."""

from __future__ import annotations

import plotly.express as px
from plotly.graph_objects import Figure

from dashboard.privacy.screens import ReportScreen


def yearly_requests(screen: ReportScreen) -> Figure | None:
    """Received, completed and denied per group, one facet a year; None when there is nothing to draw."""
    if screen.detail.empty:
        return None
    long = screen.detail.melt(
        id_vars=["year", "group"],
        value_vars=["received", "completed", "denied"],
        var_name="measure",
        value_name="requests",
    )
    return px.bar(
        long,
        x="group",
        y="requests",
        color="measure",
        barmode="group",
        facet_col="year",
        hover_data={"year": True, "group": True, "requests": True},
        labels={"group": screen.by.capitalize(), "requests": "Requests", "measure": ""},
    )
