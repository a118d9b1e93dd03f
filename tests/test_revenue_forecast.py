"""Quick ratio and the MRR forecast band, on invented months worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np

from dashboard.billing.revenue.forecast import mrr_forecast
from dashboard.billing.revenue.history import NEVER
from dashboard.billing.revenue.metrics import MonthRevenue, _month_row


def _month(month: date, start: int, new: int = 0, churn: int = 0, provisional: bool = False) -> MonthRevenue:
    mrr = start + new + churn
    return MonthRevenue(
        month=month,
        mrr=mrr,
        arr=mrr * 12,
        new=new,
        expansion=0,
        contraction=0,
        churn=churn,
        reactivation=0,
        paying_accounts=1,
        customer_churn_rate=None,
        gross_revenue_churn=None,
        net_revenue_retention=None,
        arpa=mrr,
        mrr_start=start,
        fx_adjustment=0,
        provisional_rates=provisional,
    )


def test_quick_ratio_by_hand() -> None:
    # accounts a, b, c, d: +2000 expansion, -5000 churn, -1000 contraction, +3000 new
    before = np.array([10000, 5000, 2000, 0])
    after = np.array([12000, 0, 1000, 3000])
    first_paying = np.array([date(2024, 1, 1), date(2024, 1, 1), date(2024, 1, 1), date(2025, 3, 4)])
    row = _month_row(date(2025, 3, 1), before, after, np.array([d.toordinal() for d in first_paying]))
    assert (row.new, row.expansion, row.contraction, row.churn) == (3000, 2000, -1000, -5000)
    assert row.quick_ratio == Decimal("0.8333")  # (3000 + 2000) / (1000 + 5000)
    only_growth = _month_row(date(2025, 3, 1), np.array([100]), np.array([200]), np.array([NEVER]))
    assert only_growth.quick_ratio is None  # nothing lost: no ratio, not infinity


def test_forecast_band_by_hand() -> None:
    months = [
        _month(date(2025, 1, 1), 10000, new=1000),  # r = +0.10
        _month(date(2025, 2, 1), 11000),  # r = 0
        _month(date(2025, 3, 1), 11000, new=1000, churn=-780),  # r = 220 / 11000 = +0.02
        _month(date(2025, 4, 1), 11220, new=5000, provisional=True),  # the open month: not learnt from
    ]
    forecast = mrr_forecast(months, horizon=12, lookback=6)
    assert (forecast.base_month, forecast.base_mrr) == (date(2025, 4, 1), 16220)
    assert [r for _, r in forecast.rates] == [Decimal("0.1000"), Decimal("0.0000"), Decimal("0.0200")]
    assert (forecast.mean_rate, forecast.low_rate, forecast.high_rate) == (
        Decimal("0.0400"),
        Decimal("0.0000"),
        Decimal("0.1000"),
    )
    first, second = forecast.points[:2]
    assert (first.month, first.central, first.low, first.high) == (date(2025, 5, 1), 16869, 16220, 17842)
    # 16220 x 1.04 = 16868.8; x 1.1 = 17842; month 2: 16220 x 1.0816 = 17543.55; x 1.21 = 19626.2
    assert (second.central, second.low, second.high) == (17544, 16220, 19626)
    last = forecast.points[-1]
    assert last.month == date(2026, 4, 1)
    assert last.central == 25969  # 16220 x 1.04^12 = 25968.74
    assert last.low <= last.central <= last.high
    assert "compounds" in forecast.method


def test_lookback_and_no_history() -> None:
    months = [_month(date(2024, m, 1), 10000, new=100 * m) for m in range(1, 13)]
    forecast = mrr_forecast(months, lookback=6)
    assert [m for m, _ in forecast.rates] == [date(2024, m, 1) for m in range(7, 13)]
    assert mrr_forecast([]) is None
