"""The Installations page's chart, from its screen (`dashboard.zendesk.screens.InstallationsScreen`)."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.presentation import palette
from dashboard.zendesk.screens import InstallationsScreen


def weekly_installs(screen: InstallationsScreen) -> go.Figure:
    """Installs up (green), uninstalls down (red), the net as a neutral line."""
    weekly = screen.weekly
    figure = go.Figure(
        [
            go.Bar(
                x=weekly["week"],
                y=weekly["installs"],
                name="Installs",
                marker_color=palette.colour_for("installs"),
            ),
            go.Bar(
                x=weekly["week"],
                y=-weekly["uninstalls"],
                name="Uninstalls",
                marker_color=palette.colour_for("uninstalls"),
                customdata=weekly["uninstalls"],
                hovertemplate="%{customdata}",
            ),
            go.Scatter(
                x=weekly["week"],
                y=weekly["net"],
                name="Net",
                mode="lines+markers",
                line={"color": palette.colour_for("net")},
            ),
        ]
    )
    figure.update_layout(barmode="relative", height=380)  # the page heads it
    if screen.partial_week:
        start, end = palette.week_bar_span(screen.partial_week)
        palette.mark_partial_period(figure, start=start, end=end, label="Week so far")
    return palette.styled(figure, x_title="Week starting (Monday, UTC)", y_title="Installations")
