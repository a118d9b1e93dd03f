"""One palette for every chart, whose colours mean the same thing on every page, and the figure style
every chart shares (titled axes, human legend names, partial periods marked)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import plotly.graph_objects as go

GROWTH = "#2e7d32"  # new business
EXPANSION = "#66bb6a"
CONTRACTION = "#ef6c00"
CHURN = "#c62828"
REACTIVATION = "#1565c0"
NEUTRAL = "#546e7a"  # counts, totals, anything without a good/bad reading
FORECAST_BAND = "rgba(84, 110, 122, 0.18)"

# The same movement names in every chart (MRR movements, installs, customers).
MEANING = {
    "new": GROWTH,
    "installs": GROWTH,
    "expansion": EXPANSION,
    "contraction": CONTRACTION,
    "churn": CHURN,
    "uninstalls": CHURN,
    "reactivation": REACTIVATION,
    "net": NEUTRAL,
    "total": NEUTRAL,
}

# Series without a meaning (apps, plans, segments): distinct, colour-blind friendly, none red/green-led.
SERIES = ["#1565c0", "#6a1b9a", "#00838f", "#f9a825", "#5d4037", "#ad1457"]
MAX_SERIES = len(SERIES)

HEATMAP = [[0.0, "#eceff1"], [1.0, "#1565c0"]]

# Subscription and billing states: paying greens, at-risk orange, lost reds, the rest neutral.
STATUS = {
    "active": GROWTH,
    "trialing": EXPANSION,
    "past_due": CONTRACTION,
    "incomplete": CONTRACTION,
    "unpaid": CHURN,
    "canceled": CHURN,
    "incomplete_expired": CHURN,
    "paused": NEUTRAL,
    "none": "#b0bec5",
    "no_subscription": "#b0bec5",
}

# Table cells by deadline urgency (the privacy queue's deadline columns): CSS for pandas' Styler.
URGENCY_CELLS = {
    "overdue": "background-color: #b71c1c; color: white; font-weight: 600",
    "red": "background-color: #ffcdd2; color: #b71c1c",
    "amber": "background-color: #ffe0b2; color: #8a4b00",
    "green": "background-color: #c8e6c9; color: #1b5e20",
    "closed": "",
}


def colour_for(name: str) -> str:
    return MEANING.get(name.lower(), NEUTRAL)


def status_colour(status: str) -> str:
    return STATUS.get(status, NEUTRAL)


def series_colours(names: list[str]) -> dict[str, str]:
    """Distinct colours for series without a meaning, in order; "All …" totals and "Other" neutral."""
    colours: dict[str, str] = {}
    free = iter(SERIES * (len(names) // MAX_SERIES + 1))
    for name in names:
        colours[name] = NEUTRAL if name.startswith("All ") or name == "Other" else next(free)
    return colours


def styled(figure: go.Figure, *, x_title: str, y_title: str, legend_title: str | None = None) -> go.Figure:
    """The console's look: titled axes with units, legend below the plot (never cut), compact margins."""
    figure.update_layout(
        xaxis_title=x_title,
        yaxis_title=y_title,
        legend_title_text=legend_title or "",
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0},
        margin={"l": 8, "r": 8, "t": 48, "b": 8},
        hovermode="x unified",
    )
    return figure


def mark_partial_period(
    figure: go.Figure, *, start: date, end: date, label: str = "Partial month"
) -> go.Figure:
    """Shade the period still running (`start` to `end`), so a half-finished month is not read as a drop."""
    figure.add_vrect(
        x0=start,
        x1=end,
        fillcolor="#90a4ae",
        opacity=0.12,
        line_width=0,
        annotation_text=label,
        annotation_position="top left",
    )
    return figure


def week_bar_span(monday: date) -> tuple[datetime, datetime]:
    """Where a weekly bar drawn at its Monday sits on a date axis: half a week either side."""
    centre = datetime.combine(monday, time())
    return centre - timedelta(days=3.5), centre + timedelta(days=3.5)
