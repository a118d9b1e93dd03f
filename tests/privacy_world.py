"""A small world of people spread over the store, a fake Stripe and a fake Zendesk (exports, deletions)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from dashboard.access.identity import Actor
from dashboard.billing.stripe_gateway import StripeGateway
from dashboard.privacy import requests
from dashboard.privacy.exports.systems import Systems, ZendeskTarget
from dashboard.simulators.stripe import StripeSimulator
from dashboard.simulators.zendesk import SimulatedAccount, ZendeskSimulator
from dashboard.simulators.zendesk_people import add_ticket, add_user, commenter_ip
from dashboard.usage.hashing import actor_hash_key, hash_actor
from dashboard.zendesk.gateway import MonotonicTimer, ZendeskGateway
from models import Account, App, Contact, Installation, PrivacyRequest, UsageAgent, UsageEvent

BASE_TIME = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class Person:
    name: str
    email: str
    marker: str  # appears only in this person's usage user agent: finding it elsewhere means a leak
    contact_id: int = 0
    zendesk_user: dict[str, Any] = field(default_factory=dict)
    customer: dict[str, Any] = field(default_factory=dict)
    subscription: dict[str, Any] = field(default_factory=dict)

    def identifiers(self) -> list[str]:
        return [
            self.name.lower(),
            self.email.lower(),
            self.marker.lower(),
            self.customer["id"].lower(),
            commenter_ip(self.zendesk_user),
        ]


@dataclass
class World:
    subdomain: str
    account_id: int
    people: list[Person]
    agent: dict[str, Any]
    zendesk_account: SimulatedAccount


def build_world(
    session: Session,
    fake_stripe: StripeSimulator,
    fake_zendesk: ZendeskSimulator,
    people: list[tuple[str, str]],
    *,
    events_each: int = 3,
    tickets_each: int = 1,
    open_subscription: bool = True,
) -> World:
    """Each (name, email) becomes a contact, a Zendesk user with tickets, a Stripe customer with a
    subscription and a paid invoice, and usage events under the hash of their Zendesk user id."""
    subdomain = f"w{uuid.uuid4().hex[:10]}"
    account = Account(company_name=f"Company {subdomain}", zendesk_subdomain=subdomain)
    app = App(slug=f"app-{subdomain}", name="Ticket Tagger")
    session.add_all([account, app])
    session.flush()
    installation = Installation(account_id=account.id, app_id=app.id, installed_at=BASE_TIME)
    session.add(installation)
    session.flush()
    zendesk_account = fake_zendesk.add_account(subdomain)
    agent = add_user(
        zendesk_account, name=f"Agent {subdomain}", email=f"agent@{subdomain}.example", role="agent"
    )
    product = fake_stripe.add_product("Ticket Tagger")
    price = fake_stripe.add_price(product, unit_amount=1500)
    built: list[Person] = []
    for index, (name, email) in enumerate(people):
        person = Person(name=name, email=email, marker=f"mk{uuid.uuid4().hex[:12]}")
        contact = Contact(account_id=account.id, name=name, email=email, phone=f"+1 555 01{index:02d}")
        session.add(contact)
        session.flush()
        person.contact_id = contact.id
        person.zendesk_user = add_user(zendesk_account, name=name, email=email)
        person.customer = fake_stripe.add_customer(email=email, name=name)
        person.subscription = fake_stripe.add_subscription(
            person.customer, [(price, 1)], status="active" if open_subscription else "canceled"
        )
        fake_stripe.add_paid_invoice(person.subscription, amount=1500)
        built.append(person)
        _add_events(session, account.id, app.id, installation.id, person, events_each)
    for person in built:
        others = [p for p in built if p is not person]
        for number in range(tickets_each):
            mention = f" I CC'd {others[0].name} ({others[0].email})." if others else ""
            add_ticket(
                zendesk_account,
                requester=person.zendesk_user,
                subject=f"Help {number}",
                ccs=[others[0].zendesk_user] if others else [],
                assignee=agent,
                comments=[
                    (person.zendesk_user, f"My tagger is stuck.{mention}"),
                    (agent, f"Hi, this is {agent['name']} ({agent['email']}), on it."),
                ],
            )
    session.commit()
    return World(subdomain, account.id, built, agent, zendesk_account)


def _add_events(
    session: Session, account_id: int, app_id: int, installation_id: int, person: Person, count: int
) -> None:
    actor_hash = hash_actor(actor_hash_key(), account_id=account_id, actor=str(person.zendesk_user["id"]))
    agent = UsageAgent(user_agent=f"Mozilla/5.0 {person.marker}", browser="Firefox", os="Linux")
    session.add(agent)
    session.flush()
    session.add_all(
        [
            UsageEvent(
                event_id=f"{person.marker}-{n}",
                installation_id=installation_id,
                account_id=account_id,
                app_id=app_id,
                feature="apply_rule",
                actor_hash=actor_hash,
                occurred_at=BASE_TIME + timedelta(minutes=n),
                ip_address=f"198.51.100.{n % 250}",
                agent_id=agent.id,
            )
            for n in range(count)
        ]
    )


def systems_for(
    world: World,
    fake_stripe: StripeSimulator,
    fake_zendesk: ZendeskSimulator,
    *,
    budget: int = 2,
    timer: MonotonicTimer | None = None,
    check_window: float = 0,
) -> Systems:
    """Systems on the fakes; `check_window` 0 makes a deletion check search once (no backoff waits)."""
    stripe = StripeGateway(
        "sk_test_fake_console", api_base=fake_stripe.url, max_network_retries=1, timeout=15.0
    )
    gateway = ZendeskGateway(
        api_base=fake_zendesk.base_url,
        timeout=15.0,
        ratelimit_budget=budget,
        deletion_check_window=check_window,
        timer=timer or MonotonicTimer(),
    )
    client = gateway.client(subdomain=world.subdomain, email="api@company.test", token="good-token")
    return Systems(stripe=stripe, zendesk=[ZendeskTarget(world.subdomain, world.account_id, lambda: client)])


def open_request(
    session: Session,
    actor: Actor,
    person: Person,
    *,
    type: str = "access",
    account_id: int | None = None,
    processor: bool = False,
) -> PrivacyRequest:
    """A request for `person`, identity confirmed (in progress), as exports and deletions need."""
    request = requests.create_request(
        session,
        actor,
        type=type,
        subject_name=person.name,
        subject_email=person.email.upper(),
        jurisdiction="eu_gdpr",
        received_on=date(2026, 3, 2),
        today=date(2026, 3, 16),
        subject_kind="end_user" if processor else "customer_contact",
        account_id=account_id,
    )
    if processor:
        requests.forward_to_client(session, actor, request_id=request.id, expected_version=request.version)
    else:
        requests.change_status(
            session, actor, request_id=request.id, expected_version=request.version, status="in_progress"
        )
    session.commit()
    return request
