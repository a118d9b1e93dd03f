"""Installation charts: the Installations page's weekly chart (from `InstallationsScreen`) and the
install/uninstall traces the Overview's monthly chart shares."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.basedatatypes import BaseTraceType

from dashboard.presentation import palette
from dashboard.zendesk.screens import InstallationsScreen


def install_traces(changes: pd.DataFrame, *, along: str) -> list[BaseTraceType]:
    """Installs up (green), uninstalls down (red), the net as a neutral line: one point per row of
    `changes` (columns `along`, installs, uninstalls, net)."""
    x = changes[along]
    return [
        go.Bar(x=x, y=changes["installs"], name="Installs", marker_color=palette.colour_for("installs")),
        go.Bar(
            x=x,
            y=-changes["uninstalls"],
            name="Uninstalls",
            marker_color=palette.colour_for("uninstalls"),
            customdata=changes["uninstalls"],
            hovertemplate="%{customdata}",
        ),
        go.Scatter(
            x=x, y=changes["net"], name="Net", mode="lines+markers", line={"color": palette.colour_for("net")}
        ),
    ]


def weekly_installs(screen: InstallationsScreen) -> go.Figure:
    figure = go.Figure(install_traces(screen.weekly, along="week"))
    figure.update_layout(barmode="relative", height=380)  # the page heads it
    if screen.partial_week:
        start, end = palette.week_bar_span(screen.partial_week)
        palette.mark_partial_period(figure, start=start, end=end, label="Week so far")
    return palette.styled(figure, x_title="Week starting (Monday, UTC)", y_title="Installations")
