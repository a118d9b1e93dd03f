"""Failed payments for account managers (`failed_payments_screen`): who is behind, how much is at risk
and for how long, what was recovered, whose card runs out before the next renewal, and where a failed
payment ended in cancellation or `unpaid` instead of staying past due.

Zendesk's Marketplace set-up asks that a subscription whose retries all fail is left *past due*
(Stripe Billing settings → "if all retries fail: leave the subscription past-due"), so the account
keeps its app while the account manager follows up. A subscription that is `unpaid`, or cancelled
with `cancellation_details.reason = payment_failed`, shows the setting is not applied: it is flagged.

Amounts at risk are the open invoices' `amount_remaining`, in the reporting currency at today's rates.
Age counts from the invoice's due date (its creation date when it has none) to today:
0-7, 8-30, 31-60 and over 60 days. "Recovered this month": invoices paid this month after more than
one attempt (`attempt_count > 1`), their `amount_paid`.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import pandas as pd
from sqlmodel import Session, col, select

from dashboard.accounts.links import account_link
from dashboard.billing.revenue.fx import fx_rates, to_reporting
from dashboard.billing.revenue.statuses import SubscriptionStatus
from dashboard.presentation.columns import Column, Columns, Kind
from models import Account, StripeCustomer, StripeInvoice, StripePayment, StripeSubscription

AGE_BUCKETS = ((7, "0-7 days"), (30, "8-30 days"), (60, "31-60 days"), (None, "over 60 days"))


class FlagReason(StrEnum):
    UNPAID = "unpaid: Stripe stopped retrying and marked it unpaid"
    CANCELED = "canceled after failed payments"


@dataclass(frozen=True)
class AccountLink:
    account_id: int | None
    company: str
    customer_id: str

    @property
    def account_url(self) -> str | None:
        return account_link(self.account_id)

    @property
    def corrections_url(self) -> str | None:
        return f"/corrections?account={self.account_id}" if self.account_id is not None else None


@dataclass(frozen=True)
class BehindSubscription:
    link: AccountLink
    subscription_id: str
    status: str
    mrr: int
    currency: str
    current_period_end: datetime | None


@dataclass(frozen=True)
class OpenInvoice:
    link: AccountLink
    invoice_id: str
    number: str | None
    amount_remaining: int
    currency: str
    amount_reporting: int
    attempt_count: int
    next_payment_attempt: datetime | None
    age_days: int
    age_bucket: str


@dataclass(frozen=True)
class ExpiringCard:
    link: AccountLink
    subscription_id: str
    card: str  # brand and last four
    expires_on: date  # the last day of the expiry month
    renews_on: date


@dataclass(frozen=True)
class FlaggedSubscription:
    link: AccountLink
    subscription_id: str
    status: str
    reason: str


@dataclass(frozen=True)
class FailedPaymentsScreen:
    behind: list[BehindSubscription]
    open_invoices: list[OpenInvoice]
    at_risk: dict[str, int]  # age bucket -> reporting-currency minor units (every bucket present)
    at_risk_total: int
    recovered_count: int
    recovered_amount: int  # reporting currency
    expiring_cards: list[ExpiringCard]
    flagged: list[FlaggedSubscription]


def _bucket(age: int) -> str:
    return next(label for limit, label in AGE_BUCKETS if limit is None or age <= limit)


def _links(session: Session) -> dict[str, AccountLink]:
    rows = session.exec(
        select(StripeCustomer.id, StripeCustomer.account_id, Account.company_name, StripeCustomer.name).join(
            Account, col(Account.id) == col(StripeCustomer.account_id), isouter=True
        )
    )
    return {cid: AccountLink(aid, company or name or cid, cid) for cid, aid, company, name in rows}


def failed_payments_screen(session: Session, *, today: date) -> FailedPaymentsScreen:
    rates = fx_rates(session, on=today)
    links = _links(session)

    def link(customer_id: str) -> AccountLink:
        return links.get(customer_id) or AccountLink(None, customer_id, customer_id)

    subs = session.exec(select(StripeSubscription)).all()
    behind = [
        BehindSubscription(link(s.customer_id), s.id, s.status, s.mrr, s.currency, s.current_period_end)
        for s in subs
        if s.status in (SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID)
    ]
    behind.sort(key=lambda b: (b.status, b.link.company))
    flagged = [
        FlaggedSubscription(link(s.customer_id), s.id, s.status, reason)
        for s in subs
        for reason in [
            FlagReason.UNPAID
            if s.status == "unpaid"
            else FlagReason.CANCELED
            if s.status == "canceled" and s.cancellation_reason == "payment_failed"
            else None
        ]
        if reason is not None
    ]
    invoices = session.exec(
        select(StripeInvoice).where(StripeInvoice.status == "open").where(StripeInvoice.amount_remaining > 0)
    ).all()
    open_rows = []
    at_risk = {label: 0 for _, label in AGE_BUCKETS}
    for inv in invoices:
        since = (inv.due_date or inv.created).date() if (inv.due_date or inv.created) else today
        age = max((today - since).days, 0)
        amount = to_reporting(inv.amount_remaining, inv.currency, rates)
        bucket = _bucket(age)
        at_risk[bucket] += amount
        open_rows.append(
            OpenInvoice(
                link(inv.customer_id),
                inv.id,
                inv.number,
                inv.amount_remaining,
                inv.currency,
                amount,
                inv.attempt_count,
                inv.next_payment_attempt,
                age,
                bucket,
            )
        )
    open_rows.sort(key=lambda r: -r.age_days)
    month_first = today.replace(day=1)
    recovered = [
        inv
        for inv in session.exec(
            select(StripeInvoice).where(StripeInvoice.status == "paid").where(StripeInvoice.attempt_count > 1)
        )
        if inv.paid_at is not None and month_first <= inv.paid_at.date() <= today
    ]
    return FailedPaymentsScreen(
        behind=behind,
        open_invoices=open_rows,
        at_risk=at_risk,
        at_risk_total=sum(at_risk.values()),
        recovered_count=len(recovered),
        recovered_amount=sum(to_reporting(i.amount_paid, i.currency, rates) for i in recovered),
        expiring_cards=_expiring_cards(session, subs, link, today),
        flagged=flagged,
    )


def _expiring_cards(session: Session, subs, link, today: date) -> list[ExpiringCard]:
    """Renewing subscriptions whose customer's latest card payment used a card that expires before the
    renewal date (the card on file is taken to be the one last charged)."""
    latest: dict[str, StripePayment] = {}
    payments = session.exec(
        select(StripePayment)
        .where(col(StripePayment.card_exp_year).is_not(None))
        .where(StripePayment.status == "succeeded")
        .order_by(StripePayment.created)
    )
    for payment in payments:
        if payment.customer_id:
            latest[payment.customer_id] = payment
    rows = []
    for s in subs:
        payment = latest.get(s.customer_id)
        if (
            payment is None
            or s.status not in ("active", "past_due", "trialing")
            or s.cancel_at_period_end
            or s.current_period_end is None
        ):
            continue
        year, month = payment.card_exp_year, payment.card_exp_month or 12
        expires = date(year, month, calendar.monthrange(year, month)[1])
        renews = s.current_period_end.date()
        if expires < renews:
            card = f"{(payment.card_brand or 'card').title()} •••• {payment.card_last4 or '????'}"
            rows.append(ExpiringCard(link(s.customer_id), s.id, card, expires, renews))
    rows.sort(key=lambda r: r.expires_on)
    return rows


# The page's tables: one row per item, machine values (money in minor units), and how to show them.
_LINKS: Columns = {
    "company": Column("Company"),
    "account_url": Column("Account 360", Kind.LINK, link_text="Open"),
    "corrections_url": Column("Correction", Kind.LINK, link_text="Correct"),
}
OPEN_INVOICE_COLUMNS: Columns = {
    **_LINKS,
    "invoice": Column("Invoice"),
    "amount_remaining": Column("Amount remaining", Kind.MONEY, currency_column="currency"),
    "currency": Column("Currency"),
    "attempts": Column("Attempts", Kind.COUNT),
    "next_retry": Column("Next retry", Kind.DATETIME),
    "age_days": Column("Days open", Kind.COUNT, help="From the due date, else the invoice date"),
    "age": Column("Age"),
}
BEHIND_COLUMNS: Columns = {
    **_LINKS,
    "subscription": Column("Subscription"),
    "status": Column("Status", Kind.ENUM),
    "mrr": Column("MRR", Kind.MONEY, currency_column="currency"),
    "currency": Column("Currency"),
    "period_end": Column("Period ends", Kind.DATETIME),
}
CARD_COLUMNS: Columns = {
    **_LINKS,
    "subscription": Column("Subscription"),
    "card": Column("Card"),
    "expires_on": Column("Expires", Kind.DATE),
    "renews_on": Column("Renews", Kind.DATE),
}
FLAGGED_COLUMNS: Columns = {
    **_LINKS,
    "subscription": Column("Subscription"),
    "status": Column("Status", Kind.ENUM),
    "reason": Column("Why it is flagged"),
}


def _link_values(link: AccountLink) -> dict[str, object]:
    return {
        "account_id": link.account_id,
        "company": link.company,
        "account_url": link.account_url,
        "corrections_url": link.corrections_url,
    }


def _frame(
    items: Sequence[Any], columns: Columns, values: Callable[[Any], dict[str, object]]
) -> pd.DataFrame:
    """One row per item: the account it is about (`item.link`), then `values(item)`."""
    rows = [{**_link_values(item.link), **values(item)} for item in items]
    return pd.DataFrame(rows, columns=["account_id", *columns])


def open_invoice_rows(screen: FailedPaymentsScreen) -> pd.DataFrame:
    return _frame(
        screen.open_invoices,
        OPEN_INVOICE_COLUMNS,
        lambda r: {
            "invoice": r.number or r.invoice_id,
            "amount_remaining": r.amount_remaining,
            "currency": r.currency.upper(),
            "attempts": r.attempt_count,
            "next_retry": r.next_payment_attempt,
            "age_days": r.age_days,
            "age": r.age_bucket,
        },
    )


def behind_rows(screen: FailedPaymentsScreen) -> pd.DataFrame:
    return _frame(
        screen.behind,
        BEHIND_COLUMNS,
        lambda b: {
            "subscription": b.subscription_id,
            "status": b.status,
            "mrr": b.mrr,
            "currency": b.currency.upper(),
            "period_end": b.current_period_end,
        },
    )


def card_rows(screen: FailedPaymentsScreen) -> pd.DataFrame:
    return _frame(
        screen.expiring_cards,
        CARD_COLUMNS,
        lambda c: {
            "subscription": c.subscription_id,
            "card": c.card,
            "expires_on": c.expires_on,
            "renews_on": c.renews_on,
        },
    )


def flagged_rows(screen: FailedPaymentsScreen) -> pd.DataFrame:
    return _frame(
        screen.flagged,
        FLAGGED_COLUMNS,
        lambda f: {"subscription": f.subscription_id, "status": f.status, "reason": str(f.reason)},
    )
