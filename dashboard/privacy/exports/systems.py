"""The outside systems an export or deletion reaches, as configured, and exact email matching."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial

from sqlmodel import Session, select

from dashboard.billing.stripe_gateway import StripeGateway
from dashboard.core.settings import get_settings
from dashboard.presentation.text import count
from dashboard.zendesk.connections import enabled_credentials
from dashboard.zendesk.gateway import ZendeskClient, ZendeskGateway
from dashboard.zendesk.sync import gateway_from_settings
from models import Account, PrivacyRequest

SYSTEM_LABELS = {"store": "The console's store", "stripe": "Stripe", "zendesk": "Zendesk"}


@dataclass
class ZendeskTarget:
    """One Zendesk account to search; `account_id` is the store's account with that subdomain, if any.
    Its client is made by `connect` on first use: the request page lists every enabled connection on
    each run, and making a zenpy client for each of the large demo's took ~1.2 s a run."""

    subdomain: str
    account_id: int | None
    connect: Callable[[], ZendeskClient]

    @cached_property
    def client(self) -> ZendeskClient:
        return self.connect()


@dataclass
class Systems:
    """What can be reached. `unavailable` says, per system, why it cannot (not configured, no token)."""

    stripe: StripeGateway | None = None
    zendesk: list[ZendeskTarget] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)

    def zendesk_client(self, subdomain: str) -> ZendeskClient | None:
        return next((t.client for t in self.zendesk if t.subdomain == subdomain), None)


def accounts_count(number: int) -> str:
    return f"{count(number)} account{'' if number == 1 else 's'}"


def accounts_summary(subdomains: list[str], *, named: int = 3) -> str:
    """ "2 accounts: acme, foo", or beyond `named` "113 accounts: acme, bar, foo and 110 more"."""
    names = sorted(subdomains)
    more = f" and {count(len(names) - named)} more" if len(names) > named else ""
    return f"{accounts_count(len(names))}: " + ", ".join(names[:named]) + more


def same_email(value: object, email: str) -> bool:
    """Exact match, ignoring case and surrounding spaces: the only way a record counts as the subject's."""
    return isinstance(value, str) and value.strip().lower() == email.strip().lower()


def account_ids_by_subdomain(session: Session, subdomains: list[str]) -> dict[str, int]:
    if not subdomains:
        return {}
    rows = session.exec(
        select(Account.zendesk_subdomain, Account.id).where(Account.zendesk_subdomain.in_(subdomains))
    ).all()
    return dict(rows)


def systems_from_settings(session: Session, request: PrivacyRequest) -> Systems:
    """Stripe from STRIPE_API_KEY; Zendesk from the enabled connections (`with_zendesk`)."""
    settings = get_settings()
    systems = Systems()
    if settings.stripe_api_key and settings.stripe_api_key.get_secret_value():
        systems.stripe = StripeGateway.from_settings(settings)
    else:
        systems.unavailable["stripe"] = (
            "Stripe is not configured (no STRIPE_API_KEY): Stripe was not searched."
        )
    return with_zendesk(session, request, systems, gateway_from_settings())


def with_zendesk(
    session: Session, request: PrivacyRequest, systems: Systems, gateway: ZendeskGateway
) -> Systems:
    """`systems` with the Zendesk accounts of the enabled connections, reached through `gateway` (for a
    processor request only the client's own Zendesk, since we act there on its behalf)."""
    credentials = enabled_credentials(session)
    if request.is_processor:
        client = session.get(Account, request.account_id) if request.account_id else None
        credentials = [c for c in credentials if client and c.subdomain == client.zendesk_subdomain]
    readable = [c for c in credentials if c.token]
    if not readable:
        systems.unavailable["zendesk"] = (
            "No enabled Zendesk connection with a readable token"
            + (" for the client" if request.is_processor else "")
            + ": Zendesk was not searched."
        )
        return systems
    accounts = account_ids_by_subdomain(session, [c.subdomain for c in readable])
    run_budget = gateway.run_budget()  # one export or deletion run: every account's 429 waits add up
    systems.zendesk = [
        ZendeskTarget(
            c.subdomain,
            accounts.get(c.subdomain),
            partial(
                gateway.client,
                subdomain=c.subdomain,
                email=c.email,
                token=c.token or "",
                run_budget=run_budget,
            ),
        )
        for c in readable
    ]
    return systems
