"""The Revenue page's screen: every figure, row and series it shows, for a date range and a segment
choice (`revenue_screen`). The page only reads inputs and draws."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

import pandas as pd
from sqlmodel import Session

from dashboard.billing.revenue.forecast import Forecast, mrr_forecast
from dashboard.billing.revenue.fx import RateBook, rate_book, reporting_currency
from dashboard.billing.revenue.history import MrrHistory, load_history
from dashboard.billing.revenue.metrics import (
    CohortCell,
    MonthRevenue,
    TrialMonth,
    cohort_retention,
    lifetime_value,
    month_start,
    months_from_history,
    trial_conversion,
)
from dashboard.billing.revenue.segments import (
    Dimension,
    SegmentChoice,
    Segments,
    filtered_history,
    load_segments,
    months_by_segment,
)
from dashboard.core.errors import ValidationError
from dashboard.presentation.columns import Column, Columns, Kind

NO_SPLIT = "none"
SPLIT_CHOICES = {NO_SPLIT: "Whole business", **{d.value: d.label for d in Dimension}}  # ?by= keeps the key


@dataclass(frozen=True)
class RevenueInputs:
    start: date
    end: date
    choice: SegmentChoice = field(default_factory=SegmentChoice)

    @classmethod
    def from_form(cls, first: date, last: date, choice: SegmentChoice) -> RevenueInputs:
        """The range the page's two month fields give: from `first`'s month through `last`. A start
        after the end is refused under the "From month" field."""
        if first > last:
            raise ValidationError("The start is after the end.", field="from")
        return cls(month_start(first), last, choice)


def default_range(today: date) -> tuple[date, date]:
    """The page's range before any choice: the same month a year ago through today."""
    return month_start(date(today.year - 1, today.month, 1)), today


@dataclass(frozen=True)
class RevenueScreen:
    inputs: RevenueInputs
    months: list[MonthRevenue]  # the filtered whole, one row a month
    by_segment: dict[str, list[MonthRevenue]]  # per value of the split dimension (empty when not split)
    options: dict[Dimension, list[str]]  # every value of every dimension, for the filters
    currency: str  # the reporting currency every amount is in
    mrr_now: int | None  # the open month's MRR (filtered), None without rates
    paying_now: int | None
    arpa: int | None
    ltv: int | None
    cohorts: list[CohortCell]
    trials: list[TrialMonth]
    forecast: Forecast | None = None  # 12 months after the range, from the range's last closed months
    ends_in_open_month: bool = False  # the range runs to the current month: its headline figures are "now"

    @property
    def missing_months(self) -> list[MonthRevenue]:
        return [m for m in self.months if m.missing_rates]

    @property
    def arr_now(self) -> int | None:
        return None if self.mrr_now is None else self.mrr_now * 12

    def largest_segments(self, count: int) -> list[str]:
        """The `count` segments with the most MRR in the range's last month (the charts' default)."""
        last_mrr = {name: (months[-1].mrr or 0) if months else 0 for name, months in self.by_segment.items()}
        return sorted(last_mrr, key=lambda name: (-last_mrr[name], name))[:count]


def month_columns(currency: str, *, split_label: str | None = None) -> Columns:
    """The monthly table's columns (money in `currency`, the reporting currency)."""
    money = {name: Column(label, Kind.MONEY, currency=currency) for name, label in _MONEY_LABELS.items()}
    return {
        **({"segment": Column(split_label)} if split_label else {}),
        "month": Column("Month", Kind.DATE),
        "mrr_start": money.pop("mrr_start"),
        **money,
        "paying_accounts": Column("Paying accounts", Kind.COUNT),
        "customer_churn_rate": Column("Customer churn", Kind.PERCENT),
        "gross_revenue_churn": Column("Gross revenue churn", Kind.PERCENT),
        "net_revenue_retention": Column("Net revenue retention", Kind.PERCENT),
        "quick_ratio": Column(
            "Quick ratio", Kind.NUMBER, help="(new + expansion + reactivation) / (contraction + churn)"
        ),
        "missing_rates": Column("No rate for"),
    }


_MONEY_LABELS = {
    "mrr_start": "MRR at start",
    "new": "New",
    "expansion": "Expansion",
    "reactivation": "Reactivation",
    "contraction": "Contraction",
    "churn": "Churn",
    "fx_adjustment": "Exchange-rate effect",
    "mrr": "MRR",
    "arr": "ARR",
    "arpa": "ARPA",
}


def month_rows(screen: RevenueScreen, segments: list[str] | None = None) -> pd.DataFrame:
    """One row a month (a month and segment when split): machine values, money in minor units."""
    parts = (
        [(name, screen.by_segment[name]) for name in segments]
        if segments is not None and screen.by_segment
        else [(None, screen.months)]
    )
    rows = []
    for segment, months in parts:
        for m in months:
            row = asdict(m)
            row["missing_rates"] = ", ".join(c.upper() for c in m.missing_rates) or None
            for name in (
                "customer_churn_rate",
                "gross_revenue_churn",
                "net_revenue_retention",
                "quick_ratio",
            ):
                row[name] = None if row[name] is None else float(row[name])
            rows.append({"segment": segment, **row} if segment is not None else row)
    return pd.DataFrame(rows)


def forecast_columns(currency: str) -> Columns:
    return {
        "month": Column("Month", Kind.DATE),
        "central": Column("Forecast (average rate)", Kind.MONEY, currency=currency),
        "low": Column("Lowest rate", Kind.MONEY, currency=currency),
        "high": Column("Highest rate", Kind.MONEY, currency=currency),
    }


def forecast_rows(forecast: Forecast) -> pd.DataFrame:
    return pd.DataFrame([asdict(p) for p in forecast.points], columns=["month", "central", "low", "high"])


COHORT_COLUMNS: Columns = {
    "cohort": Column("Cohort (first paid)", Kind.DATE),
    "months_since": Column("Months since", Kind.COUNT),
    "accounts": Column("Accounts", Kind.COUNT),
    "retained": Column("Still paying", Kind.COUNT),
    "rate": Column("Share still paying", Kind.PERCENT),
}
TRIAL_COLUMNS: Columns = {
    "month": Column("Trial ended in", Kind.DATE),
    "trials_ended": Column("Trials ended", Kind.COUNT),
    "converted": Column("Went on to pay", Kind.COUNT),
    "rate": Column("Converted", Kind.PERCENT),
}


def cohort_rows(screen: RevenueScreen) -> pd.DataFrame:
    frame = pd.DataFrame([asdict(c) for c in screen.cohorts], columns=list(COHORT_COLUMNS))
    frame["rate"] = frame["rate"].map(float)
    return frame


def trial_rows(screen: RevenueScreen) -> pd.DataFrame:
    frame = pd.DataFrame([asdict(t) for t in screen.trials], columns=list(TRIAL_COLUMNS))
    frame["rate"] = frame["rate"].map(lambda v: None if v is None else float(v))
    return frame


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
    options = segments.options()
    choice = inputs.choice.within(options)
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
        options=options,
        currency=reporting_currency(),
        mrr_now=last.mrr if last else None,
        paying_now=last.paying_accounts if last else None,
        arpa=last.arpa if last else None,
        ltv=lifetime_value(months),
        cohorts=cohort_retention(session, start=inputs.start, end=inputs.end, as_of=today, history=kept),
        trials=trial_conversion(
            session, start=inputs.start, end=inputs.end, as_of=today, subscription_ids=trial_ids
        ),
        forecast=mrr_forecast(months),
        ends_in_open_month=month_start(inputs.end) == month_start(today),
    )
