"""A small billed business in the fake Stripe server and its mirror, for correction tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session, select

from dashboard.billing.corrections.form import CorrectionForm
from dashboard.billing.corrections.validation import open_target
from dashboard.billing.stripe_gateway import StripeGateway
from dashboard.billing.stripe_sync.apply import PageApplier, SyncCounts
from dashboard.simulators.stripe import StripeSimulator
from models import Account, BillingCorrection, FxRate, StripeCustomer, StripeSubscription
from models.types import utcnow


@dataclass
class Business:
    account_id: int
    customer: dict
    subscription: dict
    invoice: dict  # paid, 120.00 EUR
    charge: dict  # paid the invoice
    open_invoice: dict  # 120.00 EUR due
    cheap_price: dict
    dear_price: dict


def seed_business(session: Session, fake: StripeSimulator) -> Business:
    """Stripe: one EUR customer on 2 seats × 60.00, a paid and an open invoice. Mirror: the same.

    EUR → USD at 1.10, so a 120.00 EUR refund is 132.00 USD in the reporting currency.
    """
    account = Account(company_name="Acme Ltd", zendesk_subdomain=f"acme{uuid.uuid4().hex[:6]}")
    session.add(account)
    session.add(FxRate(currency="eur", rate="1.10", updated_at=utcnow(), updated_by="test"))
    session.flush()
    customer = fake.add_customer(name="Acme", email="billing@acme.test")
    product = fake.add_product("Helpdesk Pro")
    cheap = fake.add_price(product, unit_amount=6000, currency="eur")
    dear = fake.add_price(product, unit_amount=9000, currency="eur")
    sub = fake.add_subscription(customer, [(cheap, 2)], period_start=fake.clock - 10 * 86400)
    invoice, charge = fake.add_paid_invoice(sub, amount=12000)
    open_invoice, _unused = fake.add_paid_invoice(
        sub, amount=12000, status="open", amount_paid=0, amount_remaining=12000
    )
    mirror(session, fake)
    session.get(StripeCustomer, customer["id"]).account_id = account.id
    session.get(StripeSubscription, sub["id"]).account_id = account.id  # as linking does after a sync
    session.commit()
    return Business(account.id, customer, sub, invoice, charge, open_invoice, cheap, dear)


def mirror(session: Session, fake: StripeSimulator) -> None:
    applier = PageApplier(session, SyncCounts(), now=utcnow())
    for resource in ("products", "prices", "coupons", "customers", "subscriptions", "charges", "invoices"):
        objects = [
            fake.expanded(resource, o, ["discounts", "payments"]) for o in fake.store[resource].values()
        ]
        applier.apply(resource, objects)


def form_for(gateway: StripeGateway, kind: str, target_id: str, account_id: int, **fields) -> CorrectionForm:
    """A form as the page builds it: the target read fresh when it opens, a new token each time."""
    target = open_target(gateway, kind=kind, object_id=target_id)
    defaults = {
        "reason_category": "billing_error",
        "reason_text": "Charged twice for March",
        "currency": target.currency,
    }
    return CorrectionForm(
        kind=kind,
        account_id=account_id,
        target_id=target_id,
        fingerprint=target.fingerprint,
        form_token=uuid.uuid4().hex,
        **{**defaults, **fields},
    )


def corrections(session: Session) -> list[BillingCorrection]:
    session.expire_all()
    return list(session.exec(select(BillingCorrection).order_by(BillingCorrection.id)))


def refunds_of(fake: StripeSimulator, charge_id: str) -> list[dict]:
    return [r for r in fake.store["refunds"].values() if r["charge"] == charge_id]


def posts(fake: StripeSimulator) -> int:
    return sum(count for key, count in fake.calls.items() if key.startswith("POST "))
