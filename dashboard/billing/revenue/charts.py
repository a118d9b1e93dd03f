"""Every revenue chart (Revenue, Failed payments, the Overview's MRR), built with the one palette.

Figures take screen data (money in reporting-currency minor units) and show major units; axes say
their unit, legends use words, at most `palette.MAX_SERIES` series, the open month shaded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

import plotly.graph_objects as go

from dashboard.billing.revenue.forecast import Forecast
from dashboard.billing.revenue.metrics import CohortCell, MonthRevenue, TrialMonth, next_month
from dashboard.core.money import to_major
from dashboard.presentation import palette
from dashboard.presentation.text import month as month_text

# Movement fields in the order they stack, with the words the legend shows.
MOVEMENTS = {
    "new": "New",
    "expansion": "Expansion",
    "reactivation": "Reactivation",
    "contraction": "Contraction",
    "churn": "Churn",
    "fx_adjustment": "Exchange-rate effect",
}
RATES = {
    "customer_churn_rate": "Customer churn",
    "gross_revenue_churn": "Gross revenue churn",
    "net_revenue_retention": "Net revenue retention",
}
_COLOURS = {**palette.MEANING, "fx_adjustment": palette.NEUTRAL}


def _major(amount: int | None, currency: str) -> float | None:
    return None if amount is None else float(to_major(amount, currency))


def _money_axis(currency: str) -> str:
    return currency.upper()


def _mark_open_month(figure: go.Figure, months: Sequence[MonthRevenue]) -> go.Figure:
    """Shade the month still running (its rates are today's, its figures not final)."""
    if months and months[-1].provisional_rates:
        last = months[-1].month
        palette.mark_partial_period(
            figure, start=last - timedelta(days=15), end=next_month(last) - timedelta(days=15)
        )
    return figure


def mrr_trend(months: Sequence[MonthRevenue], currency: str) -> go.Figure:
    """MRR and ARR per month, whole business (or the filtered part)."""
    x = [m.month for m in months]
    figure = go.Figure(
        [
            go.Scatter(
                x=x,
                y=[_major(getattr(m, name), currency) for m in months],
                name=label,
                mode="lines+markers",
                line={"color": colour},
                hovertemplate="%{x|%b %Y}: %{y:,.2f}",
            )
            for name, label, colour in (("mrr", "MRR", palette.REACTIVATION), ("arr", "ARR", palette.NEUTRAL))
        ]
    )
    figure.update_layout(title="MRR and ARR")
    return _mark_open_month(palette.styled(figure, x_title="Month", y_title=_money_axis(currency)), months)


def segment_mrr(
    by_segment: Mapping[str, Sequence[MonthRevenue]], currency: str, split_label: str
) -> go.Figure:
    """MRR per segment, stacked (the segments add up to the whole); at most `MAX_SERIES` segments."""
    figure = go.Figure()
    for position, (segment, months) in enumerate(list(by_segment.items())[: palette.MAX_SERIES]):
        figure.add_trace(
            go.Scatter(
                x=[m.month for m in months],
                y=[_major(m.mrr, currency) for m in months],
                name=segment,
                stackgroup="mrr",
                line={"color": palette.SERIES[position]},
                hovertemplate="%{x|%b %Y}: %{y:,.2f}",
            )
        )
    figure.update_layout(title=f"MRR by {split_label.lower()}")
    first = next(iter(by_segment.values()), [])
    styled = palette.styled(
        figure, x_title="Month", y_title=f"MRR ({_money_axis(currency)})", legend_title=split_label
    )
    return _mark_open_month(styled, first)


def movements(months: Sequence[MonthRevenue], currency: str, *, title: str = "MRR movements") -> go.Figure:
    """New, expansion and reactivation up; contraction and churn down; the exchange-rate effect apart."""
    x = [m.month for m in months]
    figure = go.Figure(
        [
            go.Bar(
                x=x,
                y=[_major(getattr(m, name), currency) for m in months],
                name=label,
                marker_color=_COLOURS[name],
                hovertemplate=f"%{{x|%b %Y}} {label}: %{{y:,.2f}}<extra></extra>",
            )
            for name, label in MOVEMENTS.items()
        ]
    )
    figure.update_layout(barmode="relative", title=title)
    styled = palette.styled(figure, x_title="Month", y_title=f"Change in MRR ({_money_axis(currency)})")
    return _mark_open_month(styled, months)


def retention_rates(months: Sequence[MonthRevenue]) -> go.Figure:
    x = [m.month for m in months]
    figure = go.Figure(
        [
            go.Scatter(
                x=x,
                y=[None if getattr(m, name) is None else float(getattr(m, name)) for m in months],
                name=label,
                mode="lines+markers",
                line={"color": colour},
                hovertemplate="%{x|%b %Y}: %{y:.1%}",
            )
            for (name, label), colour in zip(
                RATES.items(), (palette.CHURN, palette.CONTRACTION, palette.REACTIVATION), strict=True
            )
        ]
    )
    figure.update_layout(title="Churn and net revenue retention", yaxis_tickformat=".0%")
    return _mark_open_month(
        palette.styled(figure, x_title="Month", y_title="Share of MRR or accounts"), months
    )


def segment_retention(by_segment: Mapping[str, Sequence[MonthRevenue]], split_label: str) -> go.Figure:
    figure = go.Figure()
    for position, (segment, months) in enumerate(list(by_segment.items())[: palette.MAX_SERIES]):
        figure.add_trace(
            go.Scatter(
                x=[m.month for m in months],
                y=[
                    None if m.net_revenue_retention is None else float(m.net_revenue_retention)
                    for m in months
                ],
                name=segment,
                mode="lines+markers",
                line={"color": palette.SERIES[position]},
                hovertemplate="%{x|%b %Y}: %{y:.1%}",
            )
        )
    figure.update_layout(title=f"Net revenue retention by {split_label.lower()}", yaxis_tickformat=".0%")
    return palette.styled(figure, x_title="Month", y_title="Net revenue retention", legend_title=split_label)


def quick_ratio(months: Sequence[MonthRevenue]) -> go.Figure:
    figure = go.Figure(
        go.Bar(
            x=[m.month for m in months],
            y=[None if m.quick_ratio is None else float(m.quick_ratio) for m in months],
            name="Quick ratio",
            marker_color=palette.NEUTRAL,
            hovertemplate="%{x|%b %Y}: %{y:.2f}<extra></extra>",
        )
    )
    figure.update_layout(title="Quick ratio", showlegend=False)
    return _mark_open_month(palette.styled(figure, x_title="Month", y_title="Gained ÷ lost MRR"), months)


def forecast(forecast: Forecast, history: Sequence[MonthRevenue], currency: str) -> go.Figure:
    x = [p.month for p in forecast.points]
    figure = go.Figure(
        [
            go.Scatter(
                x=x,
                y=[_major(p.high, currency) for p in forecast.points],
                line={"width": 0},
                name="Highest rate",
                showlegend=False,
                hovertemplate="%{x|%b %Y} highest: %{y:,.2f}<extra></extra>",
            ),
            go.Scatter(
                x=x,
                y=[_major(p.low, currency) for p in forecast.points],
                fill="tonexty",
                fillcolor=palette.FORECAST_BAND,
                line={"width": 0},
                name="Band (lowest to highest rate)",
                hovertemplate="%{x|%b %Y} lowest: %{y:,.2f}<extra></extra>",
            ),
            go.Scatter(
                x=x,
                y=[_major(p.central, currency) for p in forecast.points],
                name="Forecast (average rate)",
                line={"dash": "dash", "color": palette.NEUTRAL},
                hovertemplate="%{x|%b %Y} forecast: %{y:,.2f}<extra></extra>",
            ),
            go.Scatter(
                x=[m.month for m in history if m.mrr is not None],
                y=[_major(m.mrr, currency) for m in history if m.mrr is not None],
                name="MRR",
                line={"color": palette.REACTIVATION},
                hovertemplate="%{x|%b %Y} MRR: %{y:,.2f}<extra></extra>",
            ),
        ]
    )
    figure.update_layout(title="MRR forecast, next 12 months")
    return palette.styled(figure, x_title="Month", y_title=f"MRR ({_money_axis(currency)})")


def cohort_heatmap(cells: Sequence[CohortCell]) -> go.Figure:
    """Share of each first-payment cohort still paying, by months since; month names on the cohort axis."""
    cohorts = sorted({c.cohort for c in cells})
    offsets = sorted({c.months_since for c in cells})
    rate = {(c.cohort, c.months_since): float(c.rate) for c in cells}
    size = {c.cohort: c.accounts for c in cells}
    z = [[rate.get((cohort, offset)) for offset in offsets] for cohort in cohorts]
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=[str(offset) for offset in offsets],
            y=[f"{month_text(cohort)} ({size[cohort]:,})" for cohort in cohorts],
            colorscale=palette.HEATMAP,
            zmin=0,
            zmax=1,
            texttemplate="%{z:.0%}",
            colorbar={"title": "Still paying", "tickformat": ".0%"},
            hovertemplate="%{y}, month %{x}: %{z:.1%} still paying<extra></extra>",
        )
    )
    figure.update_xaxes(type="category")
    figure.update_yaxes(type="category", autorange="reversed")
    figure.update_layout(title="Cohort retention")
    return palette.styled(figure, x_title="Months since first payment", y_title="Cohort (accounts)")


def trial_conversion(trials: Sequence[TrialMonth]) -> go.Figure:
    figure = go.Figure(
        go.Bar(
            x=[t.month for t in trials],
            y=[None if t.rate is None else float(t.rate) for t in trials],
            customdata=[(t.trials_ended, t.converted) for t in trials],
            marker_color=palette.GROWTH,
            name="Converted",
            hovertemplate="%{x|%b %Y}: %{y:.0%} (%{customdata[1]} of %{customdata[0]} trials)<extra></extra>",
        )
    )
    figure.update_layout(title="Trial conversion", yaxis_tickformat=".0%", showlegend=False)
    return palette.styled(figure, x_title="Month the trial ended", y_title="Trials that went on to pay")


def at_risk_by_age(at_risk: Mapping[str, int], currency: str) -> go.Figure:
    """Open invoices' amount remaining per age bucket (Failed payments)."""
    figure = go.Figure(
        go.Bar(
            x=list(at_risk),
            y=[_major(amount, currency) for amount in at_risk.values()],
            marker_color=palette.CONTRACTION,
            name="At risk",
            hovertemplate="%{x}: %{y:,.2f}<extra></extra>",
        )
    )
    figure.update_layout(title="Amount at risk by age", showlegend=False)
    return palette.styled(figure, x_title="Open for", y_title=f"At risk ({_money_axis(currency)})")
