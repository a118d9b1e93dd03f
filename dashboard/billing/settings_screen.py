"""The Sync page's Stripe tab as data: recent Stripe runs, customers not linked to an account, the
exchange rates and the months a used currency has no rate for."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

import pandas as pd
from sqlmodel import Session, select

from dashboard.billing.revenue.fx import list_fx_rates, month_rates_status, reporting_currency
from dashboard.billing.revenue.metrics import months_between
from dashboard.billing.stripe_sync import SyncResult, unlinked_customers
from dashboard.billing.stripe_sync.runner import STRIPE_KINDS
from dashboard.core.sync_runs import RunsScreen, runs_screen
from models import StripeSubscription

RATE_NAMES = ["currency", "day", "rate", "source", "updated_at", "updated_by"]


@dataclass(frozen=True)
class StripeSettingsScreen:
    reporting: str  # the currency every rate converts to
    runs: RunsScreen  # the newest full and incremental Stripe runs together, newest first
    unlinked: pd.DataFrame  # `UnlinkedCustomer` rows
    rates: pd.DataFrame  # RATE_NAMES, newest day first; `currency` in capitals, `rate` a float
    missing_rates: dict[date, list[str]]  # month -> the used currencies without a rate for it


def subscription_currencies(session: Session) -> set[str]:
    """The currencies subscriptions are billed in (an import keeps only these)."""
    return set(session.exec(select(StripeSubscription.currency).distinct()).all())


def stripe_settings_screen(session: Session, *, today: date) -> StripeSettingsScreen:
    """The tab for `today`: rates are checked for the twelve months before this one and this one."""
    months = months_between(date(today.year - 1, today.month, 1), today)
    used = subscription_currencies(session)
    rates = pd.DataFrame(
        [
            {
                "currency": r.currency.upper(),
                "day": r.day,
                "rate": float(r.rate),
                "source": r.source,
                "updated_at": r.updated_at,
                "updated_by": r.updated_by,
            }
            for r in list_fx_rates(session)
        ],
        columns=RATE_NAMES,
    )
    return StripeSettingsScreen(
        reporting=reporting_currency(),
        runs=runs_screen(session, kinds=STRIPE_KINDS, limit=20),
        unlinked=pd.DataFrame([asdict(c) for c in unlinked_customers(session)]),
        rates=rates,
        missing_rates=month_rates_status(session, months=months, currencies=used, today=today),
    )


def changes_made(result: SyncResult) -> int:
    """How many objects a Stripe sync created, updated or deleted, over every object type."""
    return sum(c["created"] + c["updated"] + c["deleted"] for c in result.counts.values())
