"""What the heaviest pages load, cached once per server process for every user, and `warm_start`, which
loads it with each page's first-visit inputs in the background when the server first runs the app. At 10M
events a first visit otherwise waits for the store: ~0.5 s for Usage's screen and ~0.4 s for its figures,
more for Revenue's history (docs/benchmarks.md)."""

from __future__ import annotations

import logging
import threading
from datetime import date

import plotly.graph_objects as go
import streamlit as st

from dashboard.accounts.facts import account_health_of
from dashboard.billing import reconciliation, subscriptions
from dashboard.billing.reconciliation import ReconciliationScreen
from dashboard.billing.revenue.fx import rate_book, reporting_currency
from dashboard.billing.revenue.history import load_history
from dashboard.billing.revenue.screen import RevenueInputs, RevenueScreen, default_range, revenue_screen
from dashboard.billing.revenue.segments import Dimension, SegmentChoice, load_segments
from dashboard.billing.subscriptions import SubscriptionFilters, SubscriptionsScreen
from dashboard.business import charts as business_charts
from dashboard.business.overview import OverviewInputs, overview_screen
from dashboard.core import clock
from dashboard.core.settings import get_settings
from dashboard.ui.cache_groups import Group, cached, loader
from dashboard.ui.store import db_session
from dashboard.usage import charts as usage_charts
from dashboard.usage.screens import Measure, UsageInputs, app_names, usage_range, usage_screen
from dashboard.zendesk import screens as zendesk_screens

CACHE_SECONDS = 300
WARM_THREAD = "warm-page-caches"
log = logging.getLogger(__name__)


class _NotFromWarmThread(logging.Filter):
    """Streamlit warns of a missing ScriptRunContext whenever a cached loader would show its spinner; the
    warm thread has no page to show one on, by design."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != WARM_THREAD


overview_data = loader(overview_screen, Group.STRIPE, Group.INSTALLATIONS, ttl=CACHE_SECONDS)


@cached(Group.STRIPE, Group.INSTALLATIONS, ttl=CACHE_SECONDS, resource=True, max_entries=64)
def overview_figures(inputs: OverviewInputs, today: date) -> dict[str, go.Figure]:
    """Overview's charts, built once per period and shared read-only (no pickling copy)."""
    screen = overview_data(inputs, today=today)
    return {
        "mrr": business_charts.mrr_trend(screen),
        "installs": business_charts.net_installs(screen),
        "usage": business_charts.usage_trend(screen),
    }


usage_data = loader(usage_screen, ttl=CACHE_SECONDS)
usage_apps = loader(app_names, ttl=CACHE_SECONDS)


@cached(ttl=CACHE_SECONDS, resource=True, max_entries=64)
def usage_figures(inputs: UsageInputs, today: date, measure: Measure) -> dict[str, go.Figure]:
    """Usage's charts, built once per filter and shared read-only (no pickling copy)."""
    screen = usage_data(inputs, today=today)
    built = {
        "users": usage_charts.active_users(screen, measure),
        "stickiness": usage_charts.stickiness(screen),
    }
    built["events"] = usage_charts.events_per_week(screen)
    built["health"] = usage_charts.health_distribution(screen)
    if not screen.adoption.empty:
        built["adoption"] = usage_charts.adoption(screen)
    if not screen.cohorts.empty:
        built["cohorts"] = usage_charts.cohort_heatmap(screen)
    return built


# One MRR history, rate book and segment table for all of Revenue's metrics (read, never changed).
# cache_resource: no pickled copy of 30,000 subscriptions' change log on every use.
revenue_history = loader(
    load_history, Group.STRIPE, ttl=CACHE_SECONDS, show_spinner="Loading the MRR history…", resource=True
)
revenue_rates = loader(rate_book, Group.STRIPE, ttl=CACHE_SECONDS, resource=True)
revenue_segments = loader(load_segments, Group.STRIPE, Group.INSTALLATIONS, ttl=CACHE_SECONDS, resource=True)


@cached(Group.STRIPE, Group.INSTALLATIONS, ttl=CACHE_SECONDS, show_spinner="Computing revenue…")
def revenue_data(inputs: RevenueInputs, today: date) -> RevenueScreen:
    with db_session() as session:
        return revenue_screen(
            session,
            inputs,
            today=today,
            history=revenue_history(),
            rates=revenue_rates(),
            segments=revenue_segments(),
        )


def first_revenue_inputs(today: date) -> RevenueInputs:
    """Revenue's inputs before any choice: the default range, the whole business, no filter."""
    choice = SegmentChoice(by=None, keep=tuple((dimension, ()) for dimension in Dimension))
    return RevenueInputs.from_form(*default_range(today), choice)


# Every account's health in the last complete month (My accounts' figures): usage and billing states.
account_health = loader(account_health_of, Group.STRIPE, ttl=CACHE_SECONDS, resource=True)
# The whole business's subscriptions and reconciliation, read by several screens and never changed by
# them: cache_resource shares one copy (cache_data unpickled 30,000 rows on every use).
all_subscriptions = loader(
    subscriptions.list_subscriptions,
    Group.STRIPE,
    ttl=CACHE_SECONDS,
    show_spinner="Loading subscriptions…",
    resource=True,
)
subscription_options = loader(subscriptions.filter_options, Group.STRIPE, ttl=CACHE_SECONDS)
reconciliation_rows = loader(
    reconciliation.reconcile,
    Group.STRIPE,
    Group.INSTALLATIONS,
    ttl=CACHE_SECONDS,
    show_spinner="Reconciling installations with Stripe…",
    resource=True,
)


@cached(Group.STRIPE, ttl=CACHE_SECONDS)
def subscriptions_view(filters: SubscriptionFilters) -> SubscriptionsScreen:
    return subscriptions.subscriptions_screen(
        all_subscriptions(),
        filters,
        options=subscription_options(),
        reporting=reporting_currency(),
        now=clock.now(),
    )


@cached(Group.STRIPE, Group.INSTALLATIONS, ttl=CACHE_SECONDS)
def reconciliation_view(categories: tuple[str, ...]) -> ReconciliationScreen:
    """The screen showing `categories` (all when empty), from one reconciliation."""
    return reconciliation.reconciliation_screen(
        reconciliation_rows(), reporting=reporting_currency(), categories=categories
    )


installations_screen = loader(
    zendesk_screens.installations_screen, Group.INSTALLATIONS, ttl=120, show_spinner="Loading installations…"
)


def _warm(today: date) -> None:
    """Each page's first-visit loads, one after another; a failure is the page's to show."""
    loads = [
        lambda: overview_figures(OverviewInputs.from_param(None), today),
        lambda: usage_figures(UsageInputs(*usage_range(None, None, today=today), None), today, Measure.DAU),
        usage_apps,
        lambda: revenue_data(first_revenue_inputs(today), today),
        all_subscriptions,
        subscription_options,
        reconciliation_rows,
        lambda: account_health(today),
    ]
    for load in loads:
        try:
            load()
        except Exception:  # the page meets the same failure and shows it; warming must not stop the app
            log.warning("warming a page cache failed", exc_info=True)


@st.cache_resource(show_spinner=False)
def warm_start(today: date) -> threading.Thread | None:
    """Once per server process (and day): fill the caches above in the background, unless settings say
    not to (the tests, whose stores change under them)."""
    if not get_settings().warm_caches_at_start:
        return None
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        _NotFromWarmThread()
    )
    thread = threading.Thread(target=_warm, args=(today,), name=WARM_THREAD, daemon=True)
    thread.start()
    return thread
