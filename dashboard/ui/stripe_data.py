"""Cached loaders for the Subscriptions, Revenue and Account pages (cleared after a Stripe sync)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboard.accounts import account360
from dashboard.billing import reconciliation, subscriptions
from dashboard.billing.revenue.failed_payments import FailedPaymentsScreen, failed_payments_screen
from dashboard.billing.revenue.fx import RateBook, rate_book, reporting_currency
from dashboard.billing.revenue.history import MrrHistory, load_history
from dashboard.billing.revenue.screen import RevenueInputs, RevenueScreen, revenue_screen
from dashboard.billing.revenue.segments import Segments, load_segments
from dashboard.core import clock
from dashboard.core.money import to_major
from dashboard.ui.store import db_session
from dashboard.ui.timezones import frame_to_viewer

CACHE_SECONDS = 300


def money_format() -> str:
    """A column format for reporting-currency amounts in major units, e.g. "%.2f USD"."""
    return f"%.2f {reporting_currency().upper()}"


def major(amount_minor: int | None, currency: str | None = None) -> float | None:
    """For display only: minor units -> a float of major units (the store keeps integers)."""
    if amount_minor is None:
        return None
    return float(to_major(amount_minor, currency or reporting_currency()))


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _subscription_options() -> subscriptions.FilterOptions:
    with db_session() as session:
        return subscriptions.filter_options(session)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner="Loading subscriptions…")
def _all_subscriptions() -> list[dict]:
    with db_session() as session:
        return subscriptions.list_subscriptions(session)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def subscriptions_view(filters: subscriptions.SubscriptionFilters) -> subscriptions.SubscriptionsScreen:
    return subscriptions.subscriptions_screen(
        _all_subscriptions(),
        filters,
        options=_subscription_options(),
        reporting=reporting_currency(),
        now=clock.now(),
    )


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


@st.cache_data(ttl=CACHE_SECONDS, show_spinner="Loading failed payments…")
def failed_payments_view(today: date) -> FailedPaymentsScreen:
    """The Failed payments screen for `today` (cleared after a Stripe sync like the other loaders)."""
    with db_session() as session:
        return failed_payments_screen(session, today=today)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner="Reconciling installations with Stripe…")
def _reconciliation_rows() -> list[reconciliation.ReconciliationRow]:
    with db_session() as session:
        return reconciliation.reconcile(session)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def reconciliation_view(categories: tuple[str, ...]) -> reconciliation.ReconciliationScreen:
    """The Reconciliation screen showing `categories` (all when empty), from one reconciliation."""
    return reconciliation.reconciliation_screen(
        _reconciliation_rows(), reporting=reporting_currency(), categories=categories
    )


@st.cache_data(ttl=60, show_spinner=False)
def account_choices(search: str) -> list[account360.AccountChoice]:
    with db_session() as session:
        return account360.find_accounts(session, search=search)


def clear_stripe_caches() -> None:
    for loader in (
        _subscription_options,
        _all_subscriptions,
        subscriptions_view,
        _history,
        _rate_book,
        _segments,
        revenue_view,
        failed_payments_view,
        _reconciliation_rows,
        reconciliation_view,
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
