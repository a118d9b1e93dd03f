"""Monthly revenue metrics for the Revenue page and the executive Overview (definitions in
docs/revenue-metrics.md). All money is reporting-currency minor units; ratios are Decimals (0.0523 = 5.23%).

Movements are net per account between the end of the previous month and the end of the month:
    mrr(month) = mrr(previous month) + new + expansion + reactivation + contraction + churn
so new, expansion and reactivation are >= 0 and contraction and churn are <= 0.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from sqlmodel import Session, col, func, select

from dashboard.billing.revenue.fx import MissingFxRate, RateBook, Rates, fx_rates, rate_book, to_reporting
from dashboard.billing.revenue.history import MrrHistory, load_history
from dashboard.billing.revenue.statuses import PAYING_STATUSES
from models import MrrChange, StripeSubscription
from models.types import utcnow

RATIO_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class MonthRevenue:
    """One month's figures, in reporting-currency minor units at that month's rates.

    A month whose rates are missing (`missing_rates` not empty) has every figure None: nothing is
    guessed from another month's rate.
    """

    month: date  # first day of the month
    mrr: int | None  # at the end of the month (today for the current month)
    arr: int | None
    new: int | None
    expansion: int | None
    contraction: int | None
    churn: int | None
    reactivation: int | None
    paying_accounts: int | None
    customer_churn_rate: Decimal | None  # accounts lost / paying accounts at the start
    gross_revenue_churn: Decimal | None  # (churn + contraction) lost / MRR at the start
    net_revenue_retention: Decimal | None  # (start + expansion + contraction + churn) / start
    arpa: int | None  # MRR / paying accounts
    mrr_start: int | None = None  # the previous month end's MRR at this month's rates
    fx_adjustment: int | None = None  # mrr_start - the previous month's MRR (at its own rates)
    quick_ratio: Decimal | None = None  # (new + expansion + reactivation) / -(contraction + churn)
    missing_rates: tuple[str, ...] = ()  # currencies with MRR but no rate for this month
    provisional_rates: bool = False  # the open month: today's rates, not a month-end rate yet

    @property
    def complete(self) -> bool:
        return not self.missing_rates


@dataclass(frozen=True)
class TrialMonth:
    month: date
    trials_ended: int
    converted: int
    rate: Decimal | None


@dataclass(frozen=True)
class CohortCell:
    cohort: date  # month of the accounts' first MRR
    months_since: int
    accounts: int  # cohort size
    retained: int  # of them still paying at the end of that month
    rate: Decimal


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def months_between(start: date, end: date) -> list[date]:
    months, month = [], month_start(start)
    while month <= end:
        months.append(month)
        month = next_month(month)
    return months


def _month_end(month: date, today: date) -> date:
    return min(next_month(month) - timedelta(days=1), today)


def _ratio(numerator: int, denominator: int) -> Decimal | None:
    if denominator == 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATIO_PLACES)


def monthly_revenue(
    session: Session,
    *,
    start: date,
    end: date,
    as_of: date | None = None,
    history: MrrHistory | None = None,
    rates: RateBook | None = None,
) -> list[MonthRevenue]:
    """One row per calendar month from `start`'s month to `end`'s month (inclusive).

    `history` / `rates`: an already loaded `load_history(session)` / `rate_book(session)`, to share
    between several metrics.
    """
    today = as_of or utcnow().date()
    if history is None:
        history = load_history(session)
    if rates is None:
        rates = rate_book(session)
    return months_from_history(history, rates, start=start, end=end, today=today)


def months_from_history(
    history: MrrHistory, book: RateBook, *, start: date, end: date, today: date
) -> list[MonthRevenue]:
    first_paying = history.first_paying_day()
    months = months_between(start, end)
    before_first = month_start(start) - timedelta(days=1)
    previous_mrr = _mrr_or_none(history, before_first, book.for_month(month_start(before_first), today=today))
    result = []
    for month in months:
        rates = book.for_month(month, today=today)
        start_day, end_day = month - timedelta(days=1), _month_end(month, today)
        missing = tuple(
            sorted(
                c
                for c in history.currencies_on(start_day) | history.currencies_on(end_day)
                if c != book.reporting and c not in rates.per_currency
            )
        )
        if missing:
            result.append(_blank_month(month, missing))
            previous_mrr = None
            continue
        before = history.account_mrr_on(start_day, rates)
        after = history.account_mrr_on(end_day, rates)
        row = _month_row(month, before, after, first_paying)
        mrr_start = int(before.sum())
        row = replace(
            row,
            mrr_start=mrr_start,
            fx_adjustment=None if previous_mrr is None else mrr_start - previous_mrr,
            provisional_rates=end_day >= today,
        )
        result.append(row)
        previous_mrr = row.mrr
    return result


def _mrr_or_none(history: MrrHistory, day: date, rates: Rates) -> int | None:
    try:
        return int(history.account_mrr_on(day, rates).sum())
    except MissingFxRate:
        return None


def _blank_month(month: date, missing: tuple[str, ...]) -> MonthRevenue:
    return MonthRevenue(
        month=month,
        mrr=None,
        arr=None,
        new=None,
        expansion=None,
        contraction=None,
        churn=None,
        reactivation=None,
        paying_accounts=None,
        customer_churn_rate=None,
        gross_revenue_churn=None,
        net_revenue_retention=None,
        arpa=None,
        missing_rates=missing,
    )


def _month_row(month: date, before: np.ndarray, after: np.ndarray, first_paying: np.ndarray) -> MonthRevenue:
    """Movements per account (arrays indexed by account) between two month ends."""
    started = (before == 0) & (after > 0)
    returning = started & (first_paying < month.toordinal())
    lost = (before > 0) & (after == 0)
    grew = (before > 0) & (after > before)
    shrank = (after > 0) & (after < before)
    new = int(after[started & ~returning].sum())
    reactivation = int(after[returning].sum())
    churn = -int(before[lost].sum())
    expansion = int((after[grew] - before[grew]).sum())
    contraction = -int((before[shrank] - after[shrank]).sum())
    churned_accounts = int(lost.sum())
    mrr_start = int(before.sum())
    paying_start = int((before > 0).sum())
    mrr = int(after.sum())
    paying = int((after > 0).sum())
    return MonthRevenue(
        month=month,
        mrr=mrr,
        arr=mrr * 12,
        new=new,
        expansion=expansion,
        contraction=contraction,
        churn=churn,
        reactivation=reactivation,
        paying_accounts=paying,
        customer_churn_rate=_ratio(churned_accounts, paying_start),
        gross_revenue_churn=_ratio(-(churn + contraction), mrr_start),
        net_revenue_retention=_ratio(mrr_start + expansion + contraction + churn, mrr_start),
        arpa=round(Decimal(mrr) / paying) if paying else 0,
        quick_ratio=_ratio(new + expansion + reactivation, -(contraction + churn)),
    )


def current_mrr(session: Session) -> int:
    """MRR now over active and past_due subscriptions, in reporting-currency minor units.

    Each subscription is converted on its own, then summed, exactly as the monthly history does.
    """
    rates = fx_rates(session)
    rows = session.exec(
        select(StripeSubscription.currency, StripeSubscription.mrr, func.count())
        .where(col(StripeSubscription.status).in_(PAYING_STATUSES))
        .group_by(StripeSubscription.currency, StripeSubscription.mrr)
    )
    return sum(to_reporting(mrr, currency, rates) * count for currency, mrr, count in rows)


def lifetime_value(months: list[MonthRevenue]) -> int | None:
    """ARPA of the last month divided by the average monthly customer churn rate over `months`
    (months without rates are left out of the average; None when the last month has no rates)."""
    if months and months[-1].arpa is None:
        return None
    rates = [m.customer_churn_rate for m in months if m.customer_churn_rate is not None]
    if not months or not rates or sum(rates) == 0:
        return None
    average = sum(rates) / len(rates)
    return round(Decimal(months[-1].arpa) / average)


def trial_conversion(
    session: Session,
    *,
    start: date,
    end: date,
    as_of: date | None = None,
    subscription_ids: set[str] | None = None,
) -> list[TrialMonth]:
    """Per month: subscriptions whose trial ended then, and how many went on to pay (MRR above 0).

    `subscription_ids`: only these (a segment filter); None counts every subscription."""
    today = as_of or utcnow().date()
    paid = set(session.exec(select(MrrChange.subscription_id).where(MrrChange.mrr > 0).distinct()))
    per_month: dict[date, list[bool]] = {m: [] for m in months_between(start, end)}
    trials = session.exec(
        select(StripeSubscription.id, StripeSubscription.trial_end).where(
            col(StripeSubscription.trial_end).is_not(None)
        )
    )
    for sub_id, trial_end in trials:
        if subscription_ids is not None and sub_id not in subscription_ids:
            continue
        day = trial_end.date()
        if day <= today and month_start(day) in per_month:
            per_month[month_start(day)].append(sub_id in paid)
    return [
        TrialMonth(
            month=m, trials_ended=len(flags), converted=sum(flags), rate=_ratio(sum(flags), len(flags))
        )
        for m, flags in per_month.items()
    ]


def cohort_retention(
    session: Session,
    *,
    start: date,
    end: date,
    as_of: date | None = None,
    history: MrrHistory | None = None,
) -> list[CohortCell]:
    """Logo retention of accounts grouped by the month they first paid (cohorts from start to end)."""
    today = as_of or utcnow().date()
    if history is None:
        history = load_history(session)
    first = history.first_paying_day()
    cohorts: dict[date, np.ndarray] = {}
    for cohort in months_between(start, end):
        members = (first >= cohort.toordinal()) & (first < next_month(cohort).toordinal())
        if members.any():
            cohorts[cohort] = members
    snapshots: dict[date, np.ndarray] = {}
    cells = []
    for cohort, members in cohorts.items():
        size = int(members.sum())
        for offset, month in enumerate(months_between(cohort, today)):
            if month not in snapshots:
                snapshots[month] = history.paying_on(_month_end(month, today))
            retained = int((members & snapshots[month]).sum())
            cells.append(
                CohortCell(
                    cohort=cohort,
                    months_since=offset,
                    accounts=size,
                    retained=retained,
                    rate=(Decimal(retained) / size).quantize(RATIO_PLACES),
                )
            )
    return cells
