"""Cached loaders for the Subscriptions, Revenue and Account pages (cleared after a Stripe sync)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

import pandas as pd
import streamlit as st

from dashboard import account360, clock, subscriptions
from dashboard.money import to_major
from dashboard.revenue import (
    MonthRevenue,
    cohort_retention,
    current_mrr,
    lifetime_value,
    monthly_revenue,
    trial_conversion,
)
from dashboard.revenue.fx import RateBook, rate_book, reporting_currency
from dashboard.revenue.history import MrrHistory, load_history
from dashboard.revenue.screen import RevenueInputs, RevenueScreen, revenue_screen
from dashboard.revenue.segments import Segments, load_segments
from dashboard.ui.store import db_session
from dashboard.ui.timezones import frame_to_viewer

CACHE_SECONDS = 300
MONEY_MONTH_FIELDS = ("mrr", "arr", "new", "expansion", "contraction", "churn", "reactivation", "arpa")


def money_format() -> str:
    """A column format for reporting-currency amounts in major units, e.g. "%.2f USD"."""
    return f"%.2f {reporting_currency().upper()}"


def major(amount_minor: int | None, currency: str | None = None) -> float | None:
    """For display only: minor units -> a float of major units (the store keeps integers)."""
    if amount_minor is None:
        return None
    return float(to_major(amount_minor, currency or reporting_currency()))


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def subscription_options() -> subscriptions.FilterOptions:
    with db_session() as session:
        return subscriptions.filter_options(session)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner="Loading subscriptions…")
def _all_subscriptions() -> list[dict]:
    with db_session() as session:
        return subscriptions.list_subscriptions(session)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def subscription_frame(filters: subscriptions.SubscriptionFilters) -> pd.DataFrame:
    now = clock.now()
    rows = [r for r in _all_subscriptions() if subscriptions.matches(r, filters, now=now)]
    frame = pd.DataFrame(
        rows,
        columns=[
            "id",
            "account_id",
            "company",
            "subdomain",
            "email",
            "app",
            "plan",
            "seats",
            "status",
            "currency",
            "mrr",
            "mrr_reporting",
            "created",
            "trial_end",
            "current_period_end",
            "cancel_at_period_end",
            "canceled_at",
        ],
    )
    frame["mrr_native"] = [major(m, c) for m, c in zip(frame["mrr"], frame["currency"], strict=True)]
    frame["mrr_major"] = [major(m) for m in frame["mrr_reporting"]]
    frame["currency"] = frame["currency"].str.upper()
    # A marker in the text rather than a pandas Styler: styling 5,000 rows costs seconds per run.
    frame["status_label"] = frame["status"].map(
        lambda s: "🔴 past due" if s == "past_due" else s.replace("_", " ")
    )
    frame["account_link"] = frame["account_id"].map(
        lambda v: f"/account?id={int(v)}" if pd.notna(v) else None  # Account 360
    )
    return frame


# One MRR history for the Revenue page's metrics (it and its per-month sums are read, never changed).
# cache_resource: no pickled copy of 30,000 subscriptions' change log on every use.
@st.cache_resource(ttl=CACHE_SECONDS, show_spinner="Loading the MRR history…")
def _history() -> MrrHistory:
    with db_session() as session:
        return load_history(session)


@st.cache_resource(ttl=CACHE_SECONDS, show_spinner=False)
def _rate_book() -> RateBook:
    with db_session() as session:
        return rate_book(session)


@st.cache_resource(ttl=CACHE_SECONDS, show_spinner=False)
def _segments() -> Segments:
    with db_session() as session:
        return load_segments(session)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner="Computing revenue…")
def revenue_view(inputs: RevenueInputs, today: date) -> RevenueScreen:
    """The Revenue page's screen for a range and segment choice (shared loads, cached per choice)."""
    with db_session() as session:
        return revenue_screen(
            session, inputs, today=today, history=_history(), rates=_rate_book(), segments=_segments()
        )


def months_table(months: list[MonthRevenue], segment: str | None = None) -> pd.DataFrame:
    """Monthly rows for display: money in major units, ratios as floats, missing rates as text."""
    frame = pd.DataFrame([asdict(m) for m in months])
    if frame.empty:
        return frame
    for name in (*MONEY_MONTH_FIELDS, "mrr_start", "fx_adjustment"):
        frame[name] = frame[name].map(major)
    for name in ("customer_churn_rate", "gross_revenue_churn", "net_revenue_retention", "quick_ratio"):
        frame[name] = frame[name].map(lambda v: float(v) if v is not None else None)
    frame["missing_rates"] = frame["missing_rates"].map(lambda codes: ", ".join(c.upper() for c in codes))
    if segment is not None:
        frame.insert(0, "segment", segment)
    return frame


@st.cache_data(ttl=CACHE_SECONDS, show_spinner="Computing monthly revenue…")
def _months(start: date, end: date) -> list[MonthRevenue]:
    with db_session() as session:
        return monthly_revenue(session, start=start, end=end, history=_history(), rates=_rate_book())


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def revenue_frame(start: date, end: date) -> pd.DataFrame:
    months = _months(start, end)
    frame = pd.DataFrame([asdict(m) for m in months])
    for name in MONEY_MONTH_FIELDS:
        frame[name] = frame[name].map(major)
    for name in ("customer_churn_rate", "gross_revenue_churn", "net_revenue_retention", "quick_ratio"):
        frame[name] = frame[name].map(lambda v: float(v) if v is not None else None)
    for name in ("mrr_start", "fx_adjustment"):
        frame[name] = frame[name].map(major)
    frame["missing_rates"] = frame["missing_rates"].map(lambda codes: ", ".join(c.upper() for c in codes))
    return frame


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def headline(start: date, end: date) -> dict[str, float | None]:
    months = _months(start, end)
    with db_session() as session:
        now_mrr = current_mrr(session)
    ltv = lifetime_value(months)
    return {
        "mrr": major(now_mrr),
        "arr": major(now_mrr * 12),
        "arpa": major(months[-1].arpa) if months else None,
        "ltv": major(ltv),
        "paying": months[-1].paying_accounts if months else 0,
    }


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def cohort_frame(start: date, end: date) -> pd.DataFrame:
    with db_session() as session:
        cells = cohort_retention(session, start=start, end=end, history=_history())
    frame = pd.DataFrame(
        [asdict(c) for c in cells], columns=["cohort", "months_since", "accounts", "retained", "rate"]
    )
    frame["rate"] = frame["rate"].map(float)
    return frame


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def trial_frame(start: date, end: date) -> pd.DataFrame:
    with db_session() as session:
        months = trial_conversion(session, start=start, end=end)
    frame = pd.DataFrame([asdict(m) for m in months], columns=["month", "trials_ended", "converted", "rate"])
    frame["rate"] = frame["rate"].map(lambda v: float(v) if v is not None else None)
    return frame


@st.cache_data(ttl=60, show_spinner=False)
def account_choices(search: str) -> list[account360.AccountChoice]:
    with db_session() as session:
        return account360.find_accounts(session, search=search)


def clear_stripe_caches() -> None:
    for loader in (
        subscription_options,
        _all_subscriptions,
        subscription_frame,
        _history,
        _rate_book,
        _segments,
        revenue_view,
        _months,
        revenue_frame,
        headline,
        cohort_frame,
        trial_frame,
    ):
        loader.clear()


def money_frame(rows: list[dict], amounts: tuple[str, ...], dates: tuple[str, ...] = ()) -> pd.DataFrame:
    """Rows -> a frame with `amounts` in major units of each row's currency (display only)."""
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    for name in amounts:
        frame[name] = [major(a, c) for a, c in zip(frame[name], frame["currency"], strict=True)]
    frame["currency"] = frame["currency"].str.upper()
    return frame_to_viewer(frame, *dates)
