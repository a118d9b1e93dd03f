"""The Overview's charts, from its screen (`dashboard.business.overview.OverviewScreen`), in the one palette:
new business green, churn red, reactivation blue, totals and counts neutral; the open month shaded."""

from __future__ import annotations

from datetime import date, timedelta

import plotly.graph_objects as go

from dashboard.billing.revenue.charts import MOVEMENTS
from dashboard.billing.revenue.metrics import next_month
from dashboard.business.overview import OverviewScreen
from dashboard.core.money import to_major
from dashboard.presentation import palette
from dashboard.zendesk.charts import install_traces

# The movements stacked under the MRR line (five bars and the line: six series). The exchange-rate
# effect is left to the Revenue page, which explains it.
OVERVIEW_MOVEMENTS = ("new", "expansion", "reactivation", "contraction", "churn")


def _major(amount: int | None, currency: str) -> float | None:
    return None if amount is None else float(to_major(amount, currency))


def _mark_month(figure: go.Figure, month: date) -> go.Figure:
    """Shade a month whose bar is drawn at its first day (Plotly centres it there)."""
    return palette.mark_partial_period(
        figure, start=month - timedelta(days=15), end=next_month(month) - timedelta(days=15)
    )


def mrr_trend(screen: OverviewScreen) -> go.Figure:
    """MRR per month as a neutral line over its movements: gains up, losses down."""
    months, currency = screen.months, screen.currency
    x = [m.month for m in months]
    bars = [
        go.Bar(
            x=x,
            y=[_major(getattr(m, name), currency) for m in months],
            name=MOVEMENTS[name],
            marker_color=palette.colour_for(name),
            hovertemplate=f"%{{x|%b %Y}} {MOVEMENTS[name]}: %{{y:,.2f}}<extra></extra>",
        )
        for name in OVERVIEW_MOVEMENTS
    ]
    line = go.Scatter(
        x=x,
        y=[_major(m.mrr, currency) for m in months],
        name="MRR",
        mode="lines+markers",
        line={"color": palette.colour_for("total")},
        hovertemplate="%{x|%b %Y} MRR: %{y:,.2f}<extra></extra>",
    )
    figure = go.Figure([*bars, line]).update_layout(barmode="relative", height=380)
    if months:
        _mark_month(figure, months[-1].month)
    return palette.styled(figure, x_title="Month", y_title=f"MRR and its change ({currency.upper()})")


def net_installs(screen: OverviewScreen) -> go.Figure:
    installs = screen.installs
    figure = go.Figure(install_traces(installs, along="month")).update_layout(barmode="relative", height=380)
    if not installs.empty:
        _mark_month(figure, installs["month"].iloc[-1].date())
    return palette.styled(figure, x_title="Month", y_title="Installations")


def usage_trend(screen: OverviewScreen) -> go.Figure:
    """Daily and monthly active users over all apps; today (still running) shaded."""
    usage = screen.usage
    colours = palette.series_colours(["DAU", "MAU"])
    figure = go.Figure(
        [
            go.Scatter(
                x=usage["day"], y=usage[column], name=name, mode="lines", line={"color": colours[name]}
            )
            for column, name in (("dau", "DAU"), ("mau", "MAU"))
        ]
    )
    figure.update_yaxes(rangemode="tozero")
    figure.update_layout(height=380)
    if not usage.empty and usage["day"].iloc[-1] == screen.today:
        palette.mark_partial_period(
            figure, start=screen.today, end=screen.today + timedelta(days=1), label="Today so far"
        )
    return palette.styled(figure, x_title="Day (UTC)", y_title="Active users (all apps)")
