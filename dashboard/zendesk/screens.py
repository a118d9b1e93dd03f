"""The Installations page as data: counts by state, weekly installs and uninstalls, and the rows."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import pandas as pd
from sqlmodel import Session

from dashboard.core.errors import ValidationError
from dashboard.presentation.columns import Column, Columns, Kind
from dashboard.presentation.text import words
from dashboard.zendesk import connections, installations
from dashboard.zendesk.connections import ConnectionView
from dashboard.zendesk.installations import STATES, FilterOptions, InstallationFilters
from dashboard.zendesk.sync import latest_run
from models import SyncRun

TOTAL = "total"
# The State and Paid filters: the URL keeps the key (?state=uninstalled&paid=unpaid), the widget the words.
STATE_CHOICES = {state: words(state) for state in STATES}
PAID_FILTER = {"any": None, "paid": True, "unpaid": False}
PAID_CHOICES = {choice: words(choice) for choice in PAID_FILTER}

INSTALLATION_COLUMNS: Columns = {
    "company_name": Column("Company"),
    "account_link": Column("Account", Kind.LINK, link_text="Open", help="Open the account page"),
    "app": Column("App"),
    "state": Column("State", Kind.ENUM),
    "plan": Column("Plan"),
    "paid": Column("Paid", Kind.BOOL),
    "seats": Column("Seats", Kind.COUNT),
    "stripe_subscription_id": Column("Stripe subscription"),
    "installed_at": Column("Installed", Kind.DATETIME),
    "uninstalled_at": Column("Uninstalled", Kind.DATETIME),
    "source": Column("Source", Kind.ENUM),
}


@dataclass(frozen=True)
class InstallationsScreen:
    counts: dict[str, int]  # per state, then "total"
    weekly: pd.DataFrame  # week (Monday), installs, uninstalls, net: every week in the span, apps summed
    partial_week: date | None  # the Monday of the week still running, when it is on the chart
    rows: pd.DataFrame  # newest installs first, `INSTALLATION_COLUMNS`
    options: FilterOptions  # the App and Plan filters' choices


def installations_screen(
    session: Session, filters: InstallationFilters, *, today: date
) -> InstallationsScreen:
    """The page for `filters`; an app or plan that is not among the options (a hand-edited address) is
    ignored, as its filter shows nothing chosen. A range whose start is after its end is refused (under
    the "from" field)."""
    if filters.since and filters.until and filters.since > filters.until:
        raise ValidationError("The start date is after the end date.", field="since")
    options = installations.filter_options(session)
    filters = replace(
        filters,
        app_ids=tuple(a for a in filters.app_ids if a in options.apps),
        plans=tuple(p for p in filters.plans if p in options.plans),
    )
    counts = installations.counts_by_state(session, filters)
    weekly = weekly_totals(installations.weekly_changes(session, filters))
    this_week = today - timedelta(days=today.weekday())
    return InstallationsScreen(
        counts={**{state: counts[state] for state in STATES}, TOTAL: sum(counts.values())},
        weekly=weekly,
        partial_week=this_week if not weekly.empty and weekly["week"].iloc[-1] == this_week else None,
        rows=installations.installation_frame(session, filters),
        options=options,
    )


def weekly_totals(changes: list[dict]) -> pd.DataFrame:
    """Installs, uninstalls and net per week over all apps; quiet weeks between count as 0."""
    columns = ["week", "installs", "uninstalls", "net"]
    if not changes:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(changes).groupby("week")[columns[1:]].sum()
    weeks = [
        frame.index.min() + timedelta(weeks=n)
        for n in range((frame.index.max() - frame.index.min()).days // 7 + 1)
    ]
    return frame.reindex(weeks, fill_value=0).rename_axis("week").reset_index()[columns]


# --- the Sync page's Zendesk tab ----------------------------------------------------------------------

CONNECTION_NAMES = ["subdomain", "email", "enabled", "token", "last_synced_at", "last_error"]


@dataclass(frozen=True)
class ZendeskSettingsScreen:
    connections: list[ConnectionView]  # for the edit form
    rows: pd.DataFrame  # CONNECTION_NAMES: a token shows only as "stored" or "missing"
    enabled: int  # connections a sync reads
    latest_run: SyncRun | None  # the newest Zendesk sync run
    latest_accounts: pd.DataFrame  # that run's outcome per Zendesk account (empty without a run)


def zendesk_settings_screen(session: Session) -> ZendeskSettingsScreen:
    current = connections.list_connections(session)
    run = latest_run(session)
    return ZendeskSettingsScreen(
        connections=current,
        rows=pd.DataFrame(
            [
                {
                    "subdomain": c.subdomain,
                    "email": c.email,
                    "enabled": c.enabled,
                    "token": "stored" if c.has_token else "missing",
                    "last_synced_at": c.last_synced_at,
                    "last_error": c.last_error or "",
                }
                for c in current
            ],
            columns=CONNECTION_NAMES,
        ),
        enabled=sum(c.enabled for c in current),
        latest_run=run,
        latest_accounts=pd.DataFrame(run.counts.get("accounts", []) if run else []),
    )
