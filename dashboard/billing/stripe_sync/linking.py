"""Which account each Stripe customer belongs to.

In order: the customer's `zendesk_subdomain` metadata, else an email shared with a contact, else an
installation that names one of the customer's subscriptions. Customers matching none stay unlinked and
are listed (`unlinked_customers`), never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from models import Account, Contact, Installation, MrrChange, StripeCustomer, StripeSubscription

SUBDOMAIN_KEY = "zendesk_subdomain"


def _subdomain_of(value: str) -> str:
    return value.strip().lower().removesuffix(".zendesk.com")


def link_customers(session: Session) -> int:
    """Set account_id on customers (and their subscriptions and MRR log); returns how many changed."""
    by_subdomain = {s.lower(): i for i, s in session.exec(select(Account.id, Account.zendesk_subdomain))}
    by_email: dict[str, int] = {}
    for email, account_id in session.exec(select(Contact.email, Contact.account_id).order_by(Contact.id)):
        by_email.setdefault(email.lower(), account_id)
    by_subscription = dict(
        session.exec(
            select(Installation.stripe_subscription_id, Installation.account_id).where(
                col(Installation.stripe_subscription_id).is_not(None)
            )
        ).all()
    )
    subs_of: dict[str, list[str]] = {}
    for sub_id, customer_id in session.exec(select(StripeSubscription.id, StripeSubscription.customer_id)):
        subs_of.setdefault(customer_id, []).append(sub_id)

    changed = 0
    for customer in session.exec(select(StripeCustomer)):
        account_id = _match(customer, by_subdomain, by_email, by_subscription, subs_of.get(customer.id, []))
        if account_id != customer.account_id:
            customer.account_id = account_id
            session.add(customer)
            changed += 1
    session.flush()
    _propagate(session)
    return changed


def _match(
    customer: StripeCustomer,
    by_subdomain: dict[str, int],
    by_email: dict[str, int],
    by_subscription: dict[str, int],
    subscription_ids: list[str],
) -> int | None:
    subdomain = (customer.stripe_metadata or {}).get(SUBDOMAIN_KEY)
    if subdomain and _subdomain_of(str(subdomain)) in by_subdomain:
        return by_subdomain[_subdomain_of(str(subdomain))]
    if customer.email and customer.email.lower() in by_email:
        return by_email[customer.email.lower()]
    return next((by_subscription[s] for s in subscription_ids if s in by_subscription), None)


def _propagate(session: Session) -> None:
    """Subscriptions and MRR log rows take their customer's account (only rows that differ are written)."""
    for model in (StripeSubscription, MrrChange):
        account = (
            select(StripeCustomer.account_id).where(StripeCustomer.id == model.customer_id).scalar_subquery()
        )
        session.execute(
            update(model)
            .where(func.coalesce(model.account_id, -1) != func.coalesce(account, -1))
            .values(account_id=account)
        )


@dataclass(frozen=True)
class UnlinkedCustomer:
    id: str
    email: str | None
    name: str | None
    subscriptions: int
    mrr: int  # sum of subscription MRR in each subscription's currency (mixed currencies are rare)
    currency: str | None


def unlinked_customers(session: Session) -> list[UnlinkedCustomer]:
    rows = session.exec(
        select(
            StripeCustomer.id,
            StripeCustomer.email,
            StripeCustomer.name,
            func.count(StripeSubscription.id),
            func.coalesce(func.sum(StripeSubscription.mrr), 0),
            func.max(StripeSubscription.currency),
        )
        .join(StripeSubscription, col(StripeSubscription.customer_id) == col(StripeCustomer.id), isouter=True)
        .where(col(StripeCustomer.account_id).is_(None), col(StripeCustomer.deleted).is_(False))
        .group_by(StripeCustomer.id, StripeCustomer.email, StripeCustomer.name)
        .order_by(StripeCustomer.id)
    )
    return [UnlinkedCustomer(*row) for row in rows]
