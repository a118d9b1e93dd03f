"""A 12-month MRR forecast from the last months' movement rates, with a band.

Method (shown on the Revenue page): take the last `lookback` (6) closed months with rates and MRR at the
start. For each, the net movement rate r = (new + expansion + reactivation + contraction + churn) / MRR
at the start (FX adjustments left out: they are not the business moving). The central line compounds
the mean rate from the last month's MRR: MRR_k = MRR_0 x (1 + mean r)^k; the band compounds the lowest
and the highest of those monthly rates: MRR_0 x (1 + min r)^k .. MRR_0 x (1 + max r)^k. Rounded to
minor units once per point. No months to learn from: no forecast.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dashboard.billing.revenue.metrics import RATIO_PLACES, MonthRevenue, next_month

METHOD = (
    "Each of the last {n} closed months' net MRR movement rate (new + expansion + reactivation + "
    "contraction + churn, over MRR at the start of the month; FX adjustments left out) is averaged; the "
    "central line compounds the average from {base_month:%B %Y}'s MRR, the band compounds the lowest "
    "and the highest of those months' rates. It extrapolates recent months; it knows nothing of plans."
)


@dataclass(frozen=True)
class ForecastPoint:
    month: date
    central: int
    low: int
    high: int


@dataclass(frozen=True)
class Forecast:
    base_month: date
    base_mrr: int
    rates: list[tuple[date, Decimal]]  # the months learnt from and their net movement rate
    mean_rate: Decimal
    low_rate: Decimal
    high_rate: Decimal
    points: list[ForecastPoint]
    method: str


def net_rate(month: MonthRevenue) -> Decimal | None:
    if not month.complete or not month.mrr_start:
        return None
    moves = month.new + month.expansion + month.reactivation + month.contraction + month.churn
    return Decimal(moves) / Decimal(month.mrr_start)


def mrr_forecast(months: list[MonthRevenue], *, horizon: int = 12, lookback: int = 6) -> Forecast | None:
    """From monthly rows (oldest first): the forecast for the `horizon` months after the last row."""
    complete = [m for m in months if m.complete and m.mrr is not None]
    if not complete:
        return None
    base = complete[-1]
    closed = [m for m in months if not m.provisional_rates and net_rate(m) is not None]
    learnt = [(m.month, net_rate(m)) for m in closed[-lookback:]]
    if not learnt:
        return None
    values = [r for _, r in learnt]
    mean, low, high = sum(values) / len(values), min(values), max(values)
    points, month = [], base.month
    for step in range(1, horizon + 1):
        month = next_month(month)
        points.append(
            ForecastPoint(
                month=month,
                central=_grow(base.mrr, mean, step),
                low=_grow(base.mrr, low, step),
                high=_grow(base.mrr, high, step),
            )
        )
    return Forecast(
        base_month=base.month,
        base_mrr=base.mrr,
        rates=[(m, r.quantize(RATIO_PLACES)) for m, r in learnt],
        mean_rate=mean.quantize(RATIO_PLACES),
        low_rate=low.quantize(RATIO_PLACES),
        high_rate=high.quantize(RATIO_PLACES),
        points=points,
        method=METHOD.format(n=len(learnt), base_month=base.month),
    )


def _grow(base: int, rate: Decimal, steps: int) -> int:
    return max(round(Decimal(base) * (1 + rate) ** steps), 0)
