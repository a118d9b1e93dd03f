"""The Revenue page's screen: every figure, row and series it shows, for a date range and a segment
choice (`revenue_screen`). The page only reads inputs and draws."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from dashboard.revenue.forecast import Forecast, mrr_forecast
from dashboard.revenue.fx import RateBook, rate_book
from dashboard.revenue.history import MrrHistory, load_history
from dashboard.revenue.metrics import (
    CohortCell,
    MonthRevenue,
    TrialMonth,
    cohort_retention,
    lifetime_value,
    months_from_history,
    trial_conversion,
)
from dashboard.revenue.segments import (
    Dimension,
    SegmentChoice,
    Segments,
    filtered_history,
    load_segments,
    months_by_segment,
)


@dataclass(frozen=True)
class RevenueInputs:
    start: date
    end: date
    choice: SegmentChoice = field(default_factory=SegmentChoice)


@dataclass(frozen=True)
class RevenueScreen:
    inputs: RevenueInputs
    months: list[MonthRevenue]  # the filtered whole, one row a month
    by_segment: dict[str, list[MonthRevenue]]  # per value of the split dimension (empty when not split)
    options: dict[Dimension, list[str]]  # every value of every dimension, for the filters
    mrr_now: int | None  # the open month's MRR (filtered), None without rates
    paying_now: int | None
    arpa: int | None
    ltv: int | None
    cohorts: list[CohortCell]
    trials: list[TrialMonth]
    forecast: Forecast | None = None  # 12 months after the range, from the range's last closed months

    @property
    def missing_months(self) -> list[MonthRevenue]:
        return [m for m in self.months if m.missing_rates]


def revenue_screen(
    session: Session,
    inputs: RevenueInputs,
    *,
    today: date,
    history: MrrHistory | None = None,
    rates: RateBook | None = None,
    segments: Segments | None = None,
) -> RevenueScreen:
    """`history`, `rates` and `segments` may be passed already loaded (the page caches them)."""
    history = history if history is not None else load_history(session)
    rates = rates if rates is not None else rate_book(session)
    segments = segments if segments is not None else load_segments(session)
    choice = inputs.choice
    kept = filtered_history(history, segments, choice)
    window = {"start": inputs.start, "end": inputs.end, "today": today}
    months = months_from_history(kept, rates, **window)
    by_segment = months_by_segment(history, rates, segments, choice, **window)
    last = months[-1] if months else None
    trial_ids = None
    if choice.kept():
        trial_ids = set(segments.matching(list(segments.of), choice))
    return RevenueScreen(
        inputs=inputs,
        months=months,
        by_segment=by_segment,
        options=segments.options(),
        mrr_now=last.mrr if last else None,
        paying_now=last.paying_accounts if last else None,
        arpa=last.arpa if last else None,
        ltv=lifetime_value(months),
        cohorts=cohort_retention(session, start=inputs.start, end=inputs.end, as_of=today, history=kept),
        trials=trial_conversion(
            session, start=inputs.start, end=inputs.end, as_of=today, subscription_ids=trial_ids
        ),
        forecast=mrr_forecast(months),
    )
