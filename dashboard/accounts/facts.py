"""The facts about an account that both Account 360's header and "My accounts" show, computed once.

- MRR: the paying subscriptions' MRR (`dashboard.billing.revenue.statuses.is_paying`) in the reporting
  currency; a subscription whose currency has no FX rate is left out and counted in `mrr_unconverted`.
- Renewal: the earliest period end of a paying subscription that is not set to cancel at period end.
- Seats: licensed quantity billed on paying subscriptions against the seats of enabled installations
  in Zendesk (the same comparison as reconciliation's seat mismatch).
- Health and churn risk: `dashboard.usage.metrics.account_health` for the last complete month.
- Reconciliation issues: rows of `dashboard.billing.reconciliation.reconcile` for the account.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlmodel import Session, col, select

from dashboard.billing.reconciliation import ReconciliationRow, reconcile
from dashboard.billing.revenue.statuses import SubscriptionStatus, is_paying
from dashboard.billing.subscriptions import list_subscriptions
from dashboard.usage.metrics import account_health, last_complete_month
from models import Account, Installation, StripeCustomer, StripeInvoice, User

RENEWAL_WINDOW_DAYS = 30


@dataclass
class AccountFacts:
    account_id: int
    company_name: str
    subdomain: str
    owner: str  # the owner's name (or email); "" when nobody owns it
    mrr: int = 0  # reporting-currency minor units
    mrr_unconverted: int = 0  # paying subscriptions left out of `mrr` for want of an FX rate
    plans: list[str] = field(default_factory=list)
    paying_subscriptions: int = 0
    past_due_subscriptions: int = 0
    seats_billed: int = 0
    seats_in_zendesk: int = 0
    renews_at: datetime | None = None
    renewal_canceling: bool = False  # a paying subscription ends at its period end instead of renewing
    open_invoices: int = 0
    open_due: dict[str, int] = field(default_factory=dict)  # currency -> amount remaining (minor units)
    health: int | None = None  # 0-100; None: no usage and no billing to score
    churn_risk: bool = False
    reconciliation_issues: int = 0

    @property
    def past_due(self) -> bool:
        return self.past_due_subscriptions > 0

    def renews_within(self, today: date, days: int = RENEWAL_WINDOW_DAYS) -> bool:
        return self.renews_at is not None and today <= self.renews_at.date() <= today + timedelta(days=days)


def owner_label(user: User | None) -> str:
    return (user.name or user.email) if user else ""


def account_facts(
    session: Session,
    account_ids: Iterable[int],
    *,
    today: date,
    subscriptions: list[dict[str, Any]] | None = None,
    reconciliation: list[ReconciliationRow] | None = None,
    health: pd.DataFrame | None = None,
) -> dict[int, AccountFacts]:
    """Facts per account id (unknown ids are left out). The whole business's `subscriptions`
    (`list_subscriptions`), `reconciliation` (`reconcile`) and `health` (`account_health` of the last
    complete month) may be passed already loaded; each is read from the store otherwise."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    owners = {user.id: user for user in session.exec(select(User))}
    facts = {
        account.id: AccountFacts(
            account.id,
            account.company_name,
            account.zendesk_subdomain,
            owner_label(owners.get(account.owner_user_id)),
        )
        for account in session.exec(select(Account).where(col(Account.id).in_(ids)))
    }
    if subscriptions is None:
        subscriptions = (
            list_subscriptions(session, account_id=ids[0]) if len(ids) == 1 else list_subscriptions(session)
        )
    for row in subscriptions:
        if row["account_id"] in facts:
            _add_subscription(facts[row["account_id"]], row)
    _add_installations(session, facts)
    _add_open_invoices(session, facts)
    _add_health(facts, account_health_of(session, today) if health is None else health)
    for row in reconcile(session) if reconciliation is None else reconciliation:
        if row.account_id in facts:
            facts[row.account_id].reconciliation_issues += 1
    return facts


def _add_subscription(facts: AccountFacts, row: dict[str, Any]) -> None:
    if row["status"] == SubscriptionStatus.PAST_DUE:
        facts.past_due_subscriptions += 1
    if not is_paying(row["status"]):
        return
    facts.paying_subscriptions += 1
    if row["mrr_reporting"] is None:
        facts.mrr_unconverted += 1
    else:
        facts.mrr += row["mrr_reporting"]
    if row["plan"] and row["plan"] not in facts.plans:
        facts.plans.append(row["plan"])
    facts.seats_billed += row["seats"] or 0
    end = row["current_period_end"]
    if row["cancel_at_period_end"]:
        facts.renewal_canceling = True
    elif end is not None and (facts.renews_at is None or end < facts.renews_at):
        facts.renews_at = end


def _add_installations(session: Session, facts: dict[int, AccountFacts]) -> None:
    rows = session.exec(
        select(Installation.account_id, Installation.seats).where(
            col(Installation.account_id).in_(list(facts)), Installation.state == "enabled"
        )
    )
    for account_id, seats in rows:
        facts[account_id].seats_in_zendesk += seats or 0


def _add_open_invoices(session: Session, facts: dict[int, AccountFacts]) -> None:
    rows = session.exec(
        select(StripeCustomer.account_id, StripeInvoice.currency, StripeInvoice.amount_remaining)
        .join(StripeCustomer, col(StripeCustomer.id) == col(StripeInvoice.customer_id))
        .where(col(StripeCustomer.account_id).in_(list(facts)), StripeInvoice.status == "open")
    )
    due: dict[int, dict[str, int]] = defaultdict(dict)
    for account_id, currency, remaining in rows:
        facts[account_id].open_invoices += 1
        due[account_id][currency] = due[account_id].get(currency, 0) + (remaining or 0)
    for account_id, amounts in due.items():
        facts[account_id].open_due = dict(sorted(amounts.items()))


def account_health_of(session: Session, today: date) -> pd.DataFrame:
    """Every account's health in the last complete month, all apps together (what the facts show)."""
    return account_health(session, month=last_complete_month(today), app_id=None)


def _add_health(facts: dict[int, AccountFacts], frame: pd.DataFrame) -> None:
    for account_id, health, at_risk in zip(
        frame["account_id"], frame["health"], frame["at_risk"], strict=True
    ):
        if int(account_id) in facts:
            facts[int(account_id)].health = int(health)
            facts[int(account_id)].churn_risk = bool(at_risk)
