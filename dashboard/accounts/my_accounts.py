""" "My accounts": the account manager's home, the accounts they own with what needs them.

Figures and rows come from `dashboard.accounts.facts`, the same facts Account 360's header shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

import pandas as pd
from sqlmodel import Session, col, select

from dashboard.accounts.facts import RENEWAL_WINDOW_DAYS, AccountFacts, account_facts
from dashboard.accounts.links import account_link
from dashboard.accounts.screen import Figure
from dashboard.billing.reconciliation import ReconciliationRow
from dashboard.billing.revenue.fx import reporting_currency
from dashboard.presentation.columns import Column, Columns, Kind
from dashboard.presentation.text import count, money
from models import Account, User


class Show(StrEnum):
    ALL = "all"
    RENEWING = "renewing"
    PAST_DUE = "past_due"
    CHURN_RISK = "churn_risk"
    ISSUES = "issues"


SHOW_LABELS = {
    Show.ALL: "All",
    Show.RENEWING: f"Renewing in {RENEWAL_WINDOW_DAYS} days",
    Show.PAST_DUE: "Past due",
    Show.CHURN_RISK: "Churn risk",
    Show.ISSUES: "Reconciliation issues",
}


@dataclass(frozen=True)
class MyAccountsInputs:
    owner_user_id: int | None
    show: Show = Show.ALL


@dataclass
class MyAccountsScreen:
    owner: str  # whose accounts these are
    figures: list[Figure] = field(default_factory=list)
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    columns: Columns = field(default_factory=dict)
    owned: int = 0
    empty: str = ""


def _shown(facts: AccountFacts, show: Show, today: date) -> bool:
    return {
        Show.ALL: True,
        Show.RENEWING: facts.renews_within(today),
        Show.PAST_DUE: facts.past_due,
        Show.CHURN_RISK: facts.churn_risk,
        Show.ISSUES: facts.reconciliation_issues > 0,
    }[show]


def _columns(currency: str) -> Columns:
    return {
        "company_name": Column("Account"),
        "subdomain": Column("Zendesk"),
        "mrr": Column("MRR", Kind.MONEY, currency=currency),
        "renews_at": Column("Renewal", Kind.DATE),
        "past_due": Column("Past due", Kind.BOOL),
        "health": Column("Health", Kind.COUNT, help="0-100; under 50 is a churn risk"),
        "churn_risk": Column("Churn risk", Kind.BOOL),
        "reconciliation_issues": Column("Issues", Kind.COUNT, help="Reconciliation issues"),
        "open_invoices": Column("Open invoices", Kind.COUNT),
        "link": Column("Account 360", Kind.LINK, link_text="Open", help="Opens the account in a new tab"),
    }


def _row(facts: AccountFacts) -> dict:
    return {
        "account_id": facts.account_id,
        "company_name": facts.company_name,
        "subdomain": facts.subdomain,
        "mrr": facts.mrr,
        "renews_at": facts.renews_at.date() if facts.renews_at else None,
        "past_due": facts.past_due,
        "health": facts.health,
        "churn_risk": facts.churn_risk,
        "reconciliation_issues": facts.reconciliation_issues,
        "open_invoices": facts.open_invoices,
        "link": account_link(facts.account_id),
    }


def account_owners(session: Session) -> dict[int, str]:
    rows = session.exec(
        select(User.id, User.name, User.email)
        .where(col(User.id).in_(select(Account.owner_user_id).where(col(Account.owner_user_id).is_not(None))))
        .order_by(User.name, User.email)
    )
    return {user_id: name or email for user_id, name, email in rows}


def my_accounts_screen(
    session: Session,
    inputs: MyAccountsInputs,
    *,
    today: date,
    subscriptions: list[dict[str, Any]] | None = None,
    reconciliation: list[ReconciliationRow] | None = None,
    health: pd.DataFrame | None = None,
) -> MyAccountsScreen:
    """The owner's accounts and their figures; the whole business's subscriptions, reconciliation and
    health may be passed already loaded (see `account_facts`)."""
    owner = session.get(User, inputs.owner_user_id) if inputs.owner_user_id else None
    currency = reporting_currency()
    screen = MyAccountsScreen(owner=(owner.name or owner.email) if owner else "")
    screen.columns = _columns(currency)
    ids = (
        list(session.exec(select(Account.id).where(Account.owner_user_id == inputs.owner_user_id)))
        if owner
        else []
    )
    found = account_facts(
        session, ids, today=today, subscriptions=subscriptions, reconciliation=reconciliation, health=health
    )
    facts = sorted(found.values(), key=lambda f: (-f.mrr, f.company_name))
    screen.owned = len(facts)
    screen.figures = [
        Figure("Accounts", count(len(facts))),
        Figure(
            "MRR",
            money(sum(f.mrr for f in facts), currency),
            f"Active and past-due subscriptions, in {currency.upper()}.",
        ),
        Figure(f"Renewing in {RENEWAL_WINDOW_DAYS} days", count(sum(f.renews_within(today) for f in facts))),
        Figure("Past due", count(sum(f.past_due for f in facts)), "Accounts with a past-due subscription."),
        Figure("Churn risk", count(sum(f.churn_risk for f in facts)), "Health under 50."),
        Figure("Reconciliation issues", count(sum(f.reconciliation_issues for f in facts))),
    ]
    shown = [_row(f) for f in facts if _shown(f, inputs.show, today)]
    screen.rows = pd.DataFrame(shown, columns=["account_id", *screen.columns])
    if not facts:
        screen.empty = "No accounts are assigned to you yet." if owner else "Choose whose accounts to show."
    elif not shown:
        screen.empty = f"None of these accounts is {SHOW_LABELS[inputs.show].lower()}."
    return screen
