"""The demo's own Stripe and Zendesk: the simulators filled from the demo store's rows.

Every object the simulators hold is built from what the store already has (the Stripe mirror the demo
generated, its accounts, contacts and installations), with the same ids, so a Stripe sync against the
demo Stripe finds the mirror as it is (nothing wiped, nothing doubled) and a Zendesk sync finds the
installations the store lists. Nothing here draws random numbers: a ticket's subject and comments are
worked out from the contact's id.

Objects are made from one shallow copy of Stripe's fixture per object (the simulator's handlers replace
top-level fields, never edit a shared nested one), so `large` (30k subscriptions, 90k invoices) loads in
seconds. `start_demo_systems` is called once per console process (dashboard/ui/demo_systems.py).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import count
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from dashboard.core import clock
from dashboard.core.settings import Settings
from dashboard.simulators.snapshots import Snapshots, persist, store_fingerprint
from dashboard.simulators.stripe import StripeSimulator
from dashboard.simulators.zendesk import SimulatedAccount, ZendeskSimulator, installation
from dashboard.simulators.zendesk_people import add_ticket, add_user
from models import (
    Account,
    App,
    Contact,
    Installation,
    StripeCoupon,
    StripeCreditNote,
    StripeCustomer,
    StripeDiscount,
    StripeInvoice,
    StripePayment,
    StripePrice,
    StripeProduct,
    StripeRefund,
    StripeSubscription,
    StripeSubscriptionItem,
    ZendeskConnection,
)

DEMO_STRIPE_KEY = "sk_test_demo_console_simulated"
# The demo's Zendesk connections all use this address and token; the simulator accepts only them.
DEMO_ZENDESK_EMAIL = "console-api@demo.example"
DEMO_ZENDESK_TOKEN = "demo-zendesk-simulated-token"
SNAPSHOTS_DIR = "simulators"  # under DATA_DIR
DEMO_AGENT_ID_BASE = 36_000_000_000_000
DEMO_USER_ID_BASE = 26_000_000_000_000
DEMO_TICKET_ID_BASE = 48_000  # + 3 per contact: a contact requested up to three tickets
DEMO_COMMENT_ID_BASE = 27_000_000_000_000  # + 10 per ticket
TICKET_SUBJECTS = (
    "Tags are not applied to new tickets",
    "Invoice shows more seats than we have agents",
    "How do I export the SLA report?",
    "App sidebar is empty after the update",
)


@dataclass
class DemoSystems:
    """The running simulators (either may be absent) and how the console reaches them."""

    stripe: StripeSimulator | None
    zendesk: ZendeskSimulator | None

    @property
    def names(self) -> list[str]:
        return [name for name, server in (("Stripe", self.stripe), ("Zendesk", self.zendesk)) if server]

    def stop(self) -> None:
        for server in (self.stripe, self.zendesk):
            if server is not None:
                server.stop()


def wants_stripe_simulator(settings: Settings) -> bool:
    """The demo store with no Stripe of its own configured."""
    configured = settings.stripe_api_key is not None and bool(settings.stripe_api_key.get_secret_value())
    return settings.is_demo_store and settings.demo_simulators and not configured


def wants_zendesk_simulator(settings: Settings) -> bool:
    """The demo store not pointed at another Zendesk address."""
    return settings.is_demo_store and settings.demo_simulators and not settings.zendesk_api_base


def start_demo_systems(engine: Engine, settings: Settings) -> DemoSystems:
    """Start the simulators the demo store needs (none elsewhere). The Stripe one answers at once and is
    filled from the store in a thread (its requests wait until then), so `large` does not hold up the
    first page. What was done in them before a restart is put back over the fill, and what is done now
    is saved under DATA_DIR (dashboard/simulators/snapshots.py)."""
    snapshots = Snapshots(settings.data_dir / SNAPSHOTS_DIR, store_fingerprint(engine))
    stripe = None
    if wants_stripe_simulator(settings):
        stripe = StripeSimulator(api_key=DEMO_STRIPE_KEY, follow_clock=clock.epoch_seconds)
        stripe.ready.clear()
        threading.Thread(
            target=fill_stripe, args=(stripe, engine, snapshots), daemon=True, name="demo-stripe"
        ).start()
        stripe.start()
    zendesk = None
    if wants_zendesk_simulator(settings):
        zendesk = zendesk_from_store(engine)
        persist(zendesk, "zendesk", snapshots)
        zendesk.start()
    return DemoSystems(stripe, zendesk)


def point_at(settings: Settings, systems: DemoSystems) -> None:
    """Make the gateways built from `settings` reach the running simulators."""
    if systems.stripe is not None:
        settings.stripe_api_key = SecretStr(DEMO_STRIPE_KEY)
        settings.stripe_api_base = systems.stripe.url
    if systems.zendesk is not None:
        settings.zendesk_api_base = systems.zendesk.base_url


# -- Stripe ----------------------------------------------------------------------------------------


def _epoch(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment is not None else None


class _Maker:
    """Objects shaped like the fixture of their kind: one shallow copy each, fields overridden."""

    def __init__(self, sim: StripeSimulator) -> None:
        self.sim = sim

    def __call__(self, resource: str, kind: str, **fields: Any) -> dict:
        obj = {**self.sim.fixtures[kind], **fields}
        self.sim.store[resource][obj["id"]] = obj
        return obj


def stripe_from_store(engine: Engine) -> StripeSimulator:
    """A Stripe simulator holding the store's Stripe mirror, its clock following the console's."""
    sim = StripeSimulator(api_key=DEMO_STRIPE_KEY, follow_clock=clock.epoch_seconds)
    fill_stripe(sim, engine)
    return sim


def fill_stripe(sim: StripeSimulator, engine: Engine, snapshots: Snapshots | None = None) -> None:
    """Put the store's Stripe mirror into `sim` (and the saved changes over it), then let its requests
    through (`sim.ready`)."""
    make = _Maker(sim)
    try:
        with Session(engine) as session:
            _catalogue(session, make)
            _customers(session, make)
            _subscriptions(session, sim, make)
            _invoices_and_payments(session, make)
            _refunds_and_credit_notes(session, make)
        if snapshots is not None:
            persist(sim, "stripe", snapshots)
    finally:
        sim.ready.set()


def _rows(session: Session, model: type, *where: Any) -> Iterable[Any]:
    """Plain rows (attribute per column), not ORM objects: `large` has 180k of them."""
    table = model.__table__  # type: ignore[attr-defined]
    return session.execute(select(table).where(*where).order_by(table.c.id))


def _catalogue(session: Session, make: _Maker) -> None:
    for product in _rows(session, StripeProduct):
        make(
            "products",
            "product",
            id=product.id,
            name=product.name,
            active=product.active,
            metadata=product.stripe_metadata or {},
            default_price=None,
            deleted=product.deleted or None,
        )
    for price in _rows(session, StripePrice):
        recurring = None
        if price.recurring_interval:
            recurring = {
                **make.sim.fixtures["price"]["recurring"],
                "interval": price.recurring_interval,
                "interval_count": price.recurring_interval_count,
                "usage_type": price.usage_type,
            }
        make(
            "prices",
            "price",
            id=price.id,
            product=price.product_id,
            nickname=price.nickname,
            currency=price.currency,
            unit_amount=price.unit_amount,
            unit_amount_decimal=str(price.unit_amount) if price.unit_amount is not None else None,
            type=price.type,
            recurring=recurring,
            billing_scheme=price.billing_scheme,
            transform_quantity=None,
            active=price.active,
        )
    for coupon in _rows(session, StripeCoupon):
        make(
            "coupons",
            "coupon",
            id=coupon.id,
            name=coupon.name,
            percent_off=float(coupon.percent_off) if coupon.percent_off is not None else None,
            amount_off=coupon.amount_off,
            currency=coupon.currency,
            duration=coupon.duration,
            duration_in_months=coupon.duration_in_months,
            redeem_by=None,
            valid=coupon.valid,
            created=_epoch(coupon.created),
            metadata={},
        )


def _customers(session: Session, make: _Maker) -> None:
    for customer in _rows(session, StripeCustomer):
        obj = make(
            "customers",
            "customer",
            id=customer.id,
            email=customer.email,
            name=customer.name,
            currency=customer.currency,
            balance=customer.balance,
            delinquent=customer.delinquent,
            metadata=customer.stripe_metadata or {},
            discount=None,
            created=_epoch(customer.created),
        )
        if customer.deleted:
            obj["deleted"] = True


def _subscriptions(session: Session, sim: StripeSimulator, make: _Maker) -> None:
    prices = sim.store["prices"]
    items: dict[str, list[dict]] = defaultdict(list)
    for item in _rows(session, StripeSubscriptionItem):
        items[item.subscription_id].append(
            {
                **sim.fixtures["subscription_item"],
                "id": item.id,
                "subscription": item.subscription_id,
                "price": prices.get(item.price_id or "", item.price_id),
                "quantity": item.quantity,
                "current_period_start": _epoch(item.current_period_start),
                "current_period_end": _epoch(item.current_period_end),
                "created": _epoch(item.current_period_start),
                "plan": None,
            }
        )
    discounts: dict[str, list[str]] = defaultdict(list)
    for discount in _rows(session, StripeDiscount):
        make(
            "discounts",
            "discount",
            id=discount.id,
            customer=discount.customer_id,
            subscription=discount.subscription_id,
            start=_epoch(discount.start),
            end=_epoch(discount.end),
            source={"coupon": sim.store["coupons"].get(discount.coupon_id), "type": "coupon"},
        )
        if discount.subscription_id:
            discounts[discount.subscription_id].append(discount.id)
    for sub in _rows(session, StripeSubscription):
        reason = {"reason": sub.cancellation_reason, "comment": None, "feedback": None}
        make(
            "subscriptions",
            "subscription",
            id=sub.id,
            customer=sub.customer_id,
            status=sub.status,
            currency=sub.currency,
            collection_method=sub.collection_method,
            items={
                "object": "list",
                "data": items.get(sub.id, []),
                "has_more": False,
                "url": f"/v1/subscription_items?subscription={sub.id}",
            },
            discounts=discounts.get(sub.id, []),
            created=_epoch(sub.created),
            start_date=_epoch(sub.start_date),
            trial_start=_epoch(sub.trial_start),
            trial_end=_epoch(sub.trial_end),
            cancel_at=_epoch(sub.cancel_at),
            canceled_at=_epoch(sub.canceled_at),
            ended_at=_epoch(sub.ended_at),
            cancel_at_period_end=sub.cancel_at_period_end,
            cancellation_details=reason,
            metadata=sub.stripe_metadata or {},
            pending_update=None,
            latest_invoice=None,
        )


def _invoices_and_payments(session: Session, make: _Maker) -> None:
    fixtures = make.sim.fixtures
    paid_by: dict[str, list[StripePayment]] = defaultdict(list)
    for payment in _rows(session, StripePayment):
        paid_by[payment.invoice_id or ""].append(payment)
        card = {
            **fixtures["charge"]["payment_method_details"]["card"],
            "brand": payment.card_brand,
            "last4": payment.card_last4,
            "exp_month": payment.card_exp_month,
            "exp_year": payment.card_exp_year,
        }
        make(
            "charges",
            "charge",
            id=payment.id,
            amount=payment.amount,
            amount_captured=payment.amount_captured,
            amount_refunded=payment.amount_refunded,
            currency=payment.currency,
            customer=payment.customer_id,
            payment_intent=payment.payment_intent_id,
            paid=payment.paid,
            captured=payment.amount_captured > 0,
            status=payment.status,
            refunded=payment.refunded,
            billing_details={**fixtures["charge"]["billing_details"], "name": None},
            payment_method_details={"type": "card", "card": card},
            created=_epoch(payment.created),
            metadata={},
        )
    credited: dict[str, int] = defaultdict(int)
    for invoice_id, amount, kind in session.exec(
        select(StripeCreditNote.invoice_id, StripeCreditNote.amount, StripeCreditNote.type)
    ).all():
        credited[f"{kind}:{invoice_id}"] += amount
    for invoice in _rows(session, StripeInvoice):
        payments = [
            {
                **fixtures["invoice_payment"],
                "id": f"inpay_{payment.id}",
                "invoice": invoice.id,
                "amount_paid": payment.amount,
                "amount_requested": payment.amount,
                "currency": payment.currency,
                "status": "paid",
                "payment": {"type": "payment_intent", "payment_intent": payment.payment_intent_id},
            }
            for payment in paid_by.get(invoice.id, [])
        ]
        make(
            "invoices",
            "invoice",
            id=invoice.id,
            customer=invoice.customer_id,
            currency=invoice.currency,
            status=invoice.status,
            number=invoice.number,
            subtotal=invoice.subtotal,
            total=invoice.total,
            total_excluding_tax=invoice.total - invoice.tax,
            amount_due=invoice.amount_due,
            amount_paid=invoice.amount_paid,
            amount_remaining=invoice.amount_remaining,
            created=_epoch(invoice.created),
            period_start=_epoch(invoice.period_start),
            period_end=_epoch(invoice.period_end),
            due_date=_epoch(invoice.due_date),
            attempt_count=invoice.attempt_count,
            next_payment_attempt=_epoch(invoice.next_payment_attempt),
            hosted_invoice_url=invoice.hosted_invoice_url,
            post_payment_credit_notes_amount=credited[f"post_payment:{invoice.id}"],
            pre_payment_credit_notes_amount=credited[f"pre_payment:{invoice.id}"],
            parent={
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {"metadata": {}, "subscription": invoice.subscription_id},
            }
            if invoice.subscription_id
            else None,
            status_transitions={
                "finalized_at": _epoch(invoice.created) if invoice.status != "draft" else None,
                "marked_uncollectible_at": None,
                "paid_at": _epoch(invoice.paid_at),
                "voided_at": _epoch(invoice.created) if invoice.status == "void" else None,
            },
            payments={"object": "list", "has_more": False, "url": "/v1/invoice_payments", "data": payments},
            metadata={},
        )


def _money_back(row: StripeRefund | StripeCreditNote) -> dict[str, Any]:
    """What a refund and a credit note say alike: which, how much, its status, why and when."""
    return {
        "id": row.id,
        "amount": row.amount,
        "currency": row.currency,
        "status": row.status,
        "reason": row.reason,
        "created": _epoch(row.created),
    }


def _refunds_and_credit_notes(session: Session, make: _Maker) -> None:
    for refund in _rows(session, StripeRefund):
        make(
            "refunds",
            "refund",
            **_money_back(refund),
            charge=refund.charge_id,
            payment_intent=refund.payment_intent_id,
            metadata=refund.stripe_metadata or {},
        )
    for note in _rows(session, StripeCreditNote):
        make(
            "credit_notes",
            "credit_note",
            **_money_back(note),
            invoice=note.invoice_id,
            customer=note.customer_id,
            number=note.number,
            total=note.amount,
            subtotal=note.amount,
            type=note.type,
            memo=note.memo,
            out_of_band_amount=None,
            refunds=[{"refund": note.refund_id, "amount_refunded": note.amount}] if note.refund_id else [],
            lines=None,
            metadata={},
        )


# -- Zendesk ---------------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str:
    return (moment or clock.now()).strftime("%Y-%m-%dT%H:%M:%SZ")


def zendesk_from_store(engine: Engine, subdomains: Iterable[str] | None = None) -> ZendeskSimulator:
    """One simulated Zendesk account per demo Zendesk connection (or per one of `subdomains`, those the
    demo's history is about to connect): its installations of the company's apps (not the uninstalled
    ones: Zendesk no longer lists those), an agent, the account's contacts as end users, and the tickets
    they requested."""
    sim = ZendeskSimulator()
    with Session(engine) as session:
        if subdomains is None:
            subdomains = session.exec(
                select(ZendeskConnection.subdomain).where(ZendeskConnection.email == DEMO_ZENDESK_EMAIL)
            ).scalars()
        subdomains = set(subdomains)
        accounts = {a.id: a for a in _rows(session, Account, col(Account.zendesk_subdomain).in_(subdomains))}
        simulated = {
            account_id: sim.add_account(
                account.zendesk_subdomain, email=DEMO_ZENDESK_EMAIL, token=DEMO_ZENDESK_TOKEN
            )
            for account_id, account in accounts.items()
        }
        app_ids = dict(session.exec(select(App.id, App.zendesk_app_id)).all())
        for row in _rows(
            session,
            Installation,
            Installation.state != "uninstalled",
            col(Installation.zendesk_installation_id).is_not(None),
            col(Installation.account_id).in_(accounts),
        ):
            target = simulated.get(row.account_id)
            if target is not None and app_ids.get(row.app_id):
                target.installations.append(_installation(row, app_ids[row.app_id]))
        contacts: dict[int, list[Any]] = defaultdict(list)
        for contact in _rows(
            session, Contact, col(Contact.anonymized_at).is_(None), col(Contact.account_id).in_(accounts)
        ):
            contacts[contact.account_id].append(contact)
        for account_id, target in simulated.items():
            _people(target, accounts[account_id], contacts.get(account_id, []))
    return sim


def _installation(row: Any, zendesk_app_id: int) -> dict[str, Any]:
    return installation(
        id=int(row.zendesk_installation_id or 0),
        app_id=zendesk_app_id,
        enabled=row.state == "enabled",
        plan=row.plan_name or None,
        paid=row.paid,
        seats=row.seats,
        stripe_subscription_id=row.stripe_subscription_id,
        has_unpaid_subscription=row.has_unpaid_subscription,
        has_incomplete_subscription=row.has_incomplete_subscription,
        created_at=_iso(row.installed_at),
        updated_at=_iso(row.updated_at or row.installed_at),
        title=row.settings.get("title"),
    )


def _people(target: SimulatedAccount, account: Any, contacts: list[Any]) -> None:
    agent = add_user(
        target,
        name=f"{account.company_name} Support",
        email=f"support@{account.zendesk_subdomain}.example.com",
        user_id=DEMO_AGENT_ID_BASE + int(account.id or 0),
        role="agent",
    )
    for contact in contacts:
        user = add_user(
            target, name=contact.name, email=contact.email, user_id=DEMO_USER_ID_BASE + int(contact.id or 0)
        )
        user["created_at"] = user["updated_at"] = _iso(contact.created_at)
        for number in range(int(contact.id or 0) % 3):
            subject = TICKET_SUBJECTS[(int(contact.id or 0) + number) % len(TICKET_SUBJECTS)]
            opened = _iso(contact.created_at + timedelta(days=7 * (number + 1)))
            # ids from the contact, so they stay the same when a deleted contact's tickets are left out
            ticket_number = 3 * int(contact.id or 0) + number
            ticket = add_ticket(
                target,
                requester=user,
                subject=subject,
                assignee=agent,
                comments=[
                    (user, f"{subject}. This is {contact.name} from {account.company_name}."),
                    (agent, f"Thanks {contact.name.split()[0]}, we are looking into it."),
                ],
                ticket_id=DEMO_TICKET_ID_BASE + ticket_number,
                comment_ids=count(DEMO_COMMENT_ID_BASE + 10 * ticket_number),
            )
            ticket["created_at"] = ticket["updated_at"] = opened
            for comment in target.records["comments"][-2:]:
                comment["created_at"] = opened
