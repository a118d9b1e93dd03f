"""The Usage page's charts, built from its screen (`dashboard.usage.screens.UsageScreen`).

Plain `plotly.graph_objects` traces over frames already aggregated by the screen (one trace per series,
at most `palette.MAX_SERIES`), so a figure costs milliseconds, not the tenths of a second Plotly Express
spends on its own grouping.
"""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.presentation import palette
from dashboard.presentation.text import words
from dashboard.usage.screens import HEALTH_BAND, MEASURE_LABELS, Measure, UsageScreen

DAY_AXIS = "Day (UTC)"


def _app_lines(screen: UsageScreen, column: str) -> go.Figure:
    daily = screen.daily
    apps = list(dict.fromkeys(daily["app"]))
    colours = palette.series_colours(apps)
    return go.Figure(
        [
            go.Scatter(x=rows["day"], y=rows[column], name=app, mode="lines", line={"color": colours[app]})
            for app, rows in ((app, daily[daily["app"] == app]) for app in apps)
        ]
    )


def active_users(screen: UsageScreen, measure: Measure) -> go.Figure:
    """One measure (DAU, WAU or MAU) at a time, one line per app."""
    figure = _app_lines(screen, measure.value).update_layout(title=MEASURE_LABELS[measure])
    figure.update_yaxes(rangemode="tozero")
    return palette.styled(figure, x_title=DAY_AXIS, y_title="Active users", legend_title="App")


def stickiness(screen: UsageScreen) -> go.Figure:
    figure = _app_lines(screen, "stickiness").update_layout(title="Stickiness (DAU/MAU)")
    figure.update_yaxes(tickformat=".0%", rangemode="tozero")
    return palette.styled(figure, x_title=DAY_AXIS, y_title="DAU as a share of MAU", legend_title="App")


def events_per_week(screen: UsageScreen) -> go.Figure:
    weekly = screen.weekly_events
    names = list(dict.fromkeys(weekly["series"]))
    colours = palette.series_colours(names)
    shown = {name: name if screen.events_series == "App" else words(name) for name in names}
    figure = go.Figure(
        [
            go.Bar(x=rows["week"], y=rows["events"], name=shown[name], marker_color=colours[name])
            for name, rows in ((name, weekly[weekly["series"] == name]) for name in names)
        ]
    )
    figure.update_layout(title="Events per week", barmode="stack")
    if screen.partial_week and not weekly.empty:
        start, end = palette.week_bar_span(screen.partial_week[0])
        palette.mark_partial_period(figure, start=start, end=end, label="Week so far")
    return palette.styled(
        figure, x_title="Week starting (Monday, UTC)", y_title="Events", legend_title=screen.events_series
    )


def adoption(screen: UsageScreen) -> go.Figure:
    frame = screen.adoption
    apps = list(dict.fromkeys(frame["app"]))
    colours = palette.series_colours(apps)
    figure = go.Figure(
        [
            go.Bar(
                x=rows["adoption"],
                y=[words(feature) for feature in rows["feature"]],
                name=app,
                orientation="h",
                marker_color=colours[app],
                customdata=rows[["accounts", "active_accounts"]],
                hovertemplate="%{y}: %{x:.0%} (%{customdata[0]} of %{customdata[1]} accounts)<extra></extra>",
            )
            for app, rows in ((app, frame[frame["app"] == app]) for app in apps)
        ]
    )
    figure.update_layout(barmode="group")  # the page heads it with the month
    figure.update_xaxes(tickformat=".0%", range=[0, 1])
    figure = palette.styled(figure, x_title="Share of active accounts", y_title="Feature", legend_title="App")
    return figure.update_layout(hovermode="closest")


def cohort_heatmap(screen: UsageScreen) -> go.Figure:
    """Rows are first active months (named), columns months since (whole numbers), cells the share."""
    cohorts = screen.cohorts
    matrix = cohorts.pivot_table(index="cohort", columns="months_since", values="share")
    figure = go.Figure(
        go.Heatmap(
            z=matrix.values,
            x=[f"+{months}" if months else "First month" for months in matrix.columns],
            y=[f"{month:%b %Y}" for month in matrix.index],
            colorscale=palette.HEATMAP,
            zmin=0,
            zmax=1,
            text=[[f"{value:.0%}" if value == value else "" for value in row] for row in matrix.values],
            texttemplate="%{text}",
            colorbar={"title": "Still active", "tickformat": ".0%"},
            hovertemplate="%{y}, %{x}: %{z:.0%} still active<extra></extra>",
        )
    )
    figure.update_xaxes(type="category")
    figure.update_yaxes(type="category", autorange="reversed")
    figure.update_layout(title="Share of each month's new accounts still active")
    figure = palette.styled(figure, x_title="Months since first use", y_title="First active month")
    return figure.update_layout(hovermode="closest")


def health_distribution(screen: UsageScreen) -> go.Figure:
    bands = screen.health_bands
    states = list(dict.fromkeys(bands.sort_values("billing")["billing"]))
    figure = go.Figure(
        [
            go.Bar(
                x=[band_label(band) for band in rows["band"]],
                y=rows["accounts"],
                name=words(state),
                marker_color=palette.status_colour(state),
            )
            for state, rows in ((state, bands[bands["billing"] == state]) for state in states)
        ]
    )
    figure.update_layout(title="Accounts by health score", barmode="stack")
    labels = [band_label(band) for band in range(0, 100, HEALTH_BAND)]
    figure.update_xaxes(type="category", categoryorder="array", categoryarray=labels)
    return palette.styled(figure, x_title="Health score (of 100)", y_title="Accounts", legend_title="Billing")


def band_label(band: int) -> str:
    top = 100 if band + HEALTH_BAND >= 100 else band + HEALTH_BAND - 1
    return f"{band}–{top}"
