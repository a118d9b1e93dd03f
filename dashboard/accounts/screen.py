"""Account 360's screen: the header facts, the tabs' tables, the actions and the timeline.

`account_screen(session, inputs, today=, role=)` computes everything the page shows; the page only
draws it. Executives see personal data masked (`dashboard.access.masking.should_mask`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlmodel import Session, col, select

from dashboard.access.masking import should_mask
from dashboard.accounts.account360 import (
    Account360,
    AccountChoice,
    account_360,
    account_choice,
    find_accounts,
)
from dashboard.accounts.actions import (
    ActionTarget,
    contact_targets,
    invoice_targets,
    payment_targets,
    role_refusal,
    stripe_customer_url,
    subscription_targets,
)
from dashboard.accounts.facts import AccountFacts, account_facts
from dashboard.accounts.timeline import account_timeline, timeline_rows
from dashboard.billing.revenue.fx import reporting_currency
from dashboard.core.ids import parse_id
from dashboard.presentation.columns import Column, Columns, Kind
from dashboard.presentation.text import count, day, money
from models import StripeDiscount


@dataclass(frozen=True)
class AccountInputs:
    raw_id: str = ""  # the address's ?id=, as typed
    search: str = ""
    user_id: int | None = None  # the viewer: their own accounts come first in the picker


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    help: str = ""


@dataclass(frozen=True)
class Table:
    title: str
    rows: pd.DataFrame
    columns: Columns
    empty: str = "Nothing recorded."


@dataclass(frozen=True)
class StripeLink:
    customer_id: str
    url: str


@dataclass
class AccountScreen:
    choices: list[AccountChoice]
    chosen: AccountChoice | None = None
    problem: str = ""  # why no account is shown ("" when one is, or none was asked for)
    masked: bool = False
    title: str = "Account 360"
    caption: str = ""
    facts: AccountFacts | None = None
    figures: list[Figure] = field(default_factory=list)
    tabs: dict[str, list[Table]] = field(default_factory=dict)
    timeline: Table | None = None
    correction_targets: list[ActionTarget] = field(default_factory=list)
    correction_refusal: str = ""  # why "Correct billing" is disabled
    contact_targets: list[ActionTarget] = field(default_factory=list)
    stripe_links: list[StripeLink] = field(default_factory=list)


def _cols(**specs: Column | str) -> Columns:
    """Column specs by name; a plain string is a text column with that label."""
    return {name: Column(spec) if isinstance(spec, str) else spec for name, spec in specs.items()}


def money_col(label: str) -> Column:
    return Column(label, Kind.MONEY, currency_column="currency")


def when(label: str) -> Column:
    return Column(label, Kind.DATETIME)


def enum(label: str) -> Column:
    return Column(label, Kind.ENUM)


CONTACTS = _cols(
    name="Name",
    email="Email",
    phone="Phone",
    job_title="Job title",
    is_primary=Column("Primary", Kind.BOOL),
    marketing_opt_out=Column("Marketing opt-out", Kind.BOOL),
    created_at=when("Added"),
)
INSTALLATIONS = _cols(
    app="App",
    state=enum("State"),
    plan_name="Plan",
    paid=Column("Paid", Kind.BOOL),
    seats=Column("Seats", Kind.COUNT),
    stripe_subscription_id="Subscription",
    installed_at=when("Installed"),
    uninstalled_at=when("Uninstalled"),
    last_seen_at=when("Last seen"),
    source=enum("Source"),
)
USAGE = _cols(
    app="App",
    feature=enum("Feature"),
    events=Column("Events", Kind.COUNT),
    peak_daily_users=Column("Busiest day's users", Kind.COUNT),
    active_days=Column("Active days", Kind.COUNT),
)
CUSTOMERS = _cols(
    id="Stripe customer",
    name="Billing name",
    email="Billing email",
    currency=Column("Currency"),
    balance=money_col("Balance"),
    delinquent=Column("Delinquent", Kind.BOOL),
    created=when("Created"),
)
SUBSCRIPTIONS = _cols(
    app="App",
    plan="Plan",
    seats=Column("Seats", Kind.COUNT),
    status=enum("Status"),
    mrr=money_col("MRR"),
    current_period_end=when("Period ends"),
    cancel_at_period_end=Column("Cancels at period end", Kind.BOOL),
    created=when("Started"),
    id="Subscription",
)
INVOICES = _cols(
    number="Number",
    status=enum("Status"),
    total=money_col("Total"),
    amount_paid=money_col("Paid"),
    amount_remaining=money_col("Due"),
    created=when("Issued"),
    paid_at=when("Paid at"),
    id="Invoice",
)
# A payment, refund or credit note: when, its status and how much, first
_MONEY_MOVED: dict[str, Column] = {
    "created": when("Date"),
    "status": enum("Status"),
    "amount": money_col("Amount"),
}
PAYMENTS = _cols(
    **_MONEY_MOVED,
    amount_refunded=money_col("Refunded"),
    card_brand=enum("Card"),
    card_last4="Card ends",
    invoice_id="Invoice",
    id="Payment",
)
REFUNDS = _cols(
    **_MONEY_MOVED,
    reason=enum("Reason"),
    charge_id="Payment",
    id="Refund",
)
CREDIT_NOTES = _cols(
    number="Number",
    **_MONEY_MOVED,
    reason=enum("Reason"),
    memo="Memo",
    invoice_id="Invoice",
)
CORRECTIONS = _cols(
    id=Column("Correction", Kind.COUNT),
    kind=enum("Kind"),
    status=enum("Status"),
    amount=money_col("Amount"),
    reason_category=enum("Reason"),
    requested_by="Requested by",
    requested_at=when("Requested"),
    executed_at=when("Executed"),
)
PRIVACY = _cols(
    id=Column("Request", Kind.COUNT),
    type=enum("Type"),
    status=enum("Status"),
    subject_name="Subject",
    subject_email="Subject's email",
    received_on=Column("Received", Kind.DATE),
    due_on=Column("Due", Kind.DATE),
    jurisdiction=enum("Law"),
)
TIMELINE = _cols(at=when("When"), source="Source", event="What happened", detail="Detail")


def _table(title: str, rows: list[dict], columns: Columns) -> Table:
    return Table(title, pd.DataFrame(rows), columns)


def _figures(facts: AccountFacts, today: date) -> list[Figure]:
    currency = reporting_currency()
    unconverted = (
        f" {facts.mrr_unconverted} subscription(s) left out: no FX rate for their currency."
        if facts.mrr_unconverted
        else ""
    )
    if facts.renews_at is not None:
        renewal = day(facts.renews_at)
        renewal_help = (
            "The earliest period end of a paying subscription, "
            f"in {count((facts.renews_at.date() - today).days)} days."
        )
    else:
        renewal = "Cancels" if facts.renewal_canceling else "—"
        renewal_help = (
            "Every paying subscription ends at its period end."
            if facts.renewal_canceling
            else "Nothing renews."
        )
    due = ", ".join(money(amount, cur) for cur, amount in facts.open_due.items())
    return [
        Figure(
            "MRR",
            money(facts.mrr, currency),
            f"Active and past-due subscriptions, in {currency.upper()}.{unconverted}",
        ),
        Figure("Renewal", renewal, renewal_help),
        Figure("Open invoices", count(facts.open_invoices), f"Due: {due}" if due else "Nothing due."),
        Figure(
            "Seats billed / in Zendesk",
            f"{count(facts.seats_billed)} / {count(facts.seats_in_zendesk)}",
            "Licensed quantity on paying subscriptions against the seats of enabled installations.",
        ),
        Figure(
            "Health",
            "—"
            if facts.health is None
            else f"{facts.health} / 100" + (" · at risk" if facts.churn_risk else ""),
            "Usage trend (up to 60) plus billing state (up to 40), last complete month; "
            "under 50 is a churn risk.",
        ),
        Figure(
            "Past-due subscriptions",
            count(facts.past_due_subscriptions),
            f"{count(facts.reconciliation_issues)} reconciliation issue(s).",
        ),
    ]


def _caption(view: Account360, facts: AccountFacts, masked: bool) -> str:
    account = view.account
    parts = [
        f"{account['zendesk_subdomain']}.zendesk.com",
        account["country"] or "country unknown",
        f"owner {view.account['owner'] or 'nobody'}",
        f"plan {', '.join(facts.plans)}" if facts.plans else "no paid plan",
    ]
    if masked:
        parts.append("personal data masked")
    return " · ".join(parts)


def account_screen(session: Session, inputs: AccountInputs, *, today: date, role: str) -> AccountScreen:
    masked = should_mask(role)
    screen = AccountScreen(
        choices=find_accounts(session, search=inputs.search, owner_user_id=inputs.user_id), masked=masked
    )
    account_id = parse_id(inputs.raw_id)
    if account_id is None:
        screen.problem = "No such account." if inputs.raw_id else ""
        return screen
    view = account_360(session, account_id=account_id, masked=masked, today=today)
    if view is None:
        screen.problem = "No such account."
        return screen
    screen.chosen = account_choice(session, account_id)
    if screen.chosen not in screen.choices:
        screen.choices.insert(0, screen.chosen)
    facts = account_facts(session, [account_id], today=today, subscriptions=view.subscriptions)[account_id]
    screen.title = view.account["company_name"]
    screen.caption = _caption(view, facts, masked)
    screen.facts = facts
    screen.figures = _figures(facts, today)
    screen.timeline = Table(
        "Timeline", pd.DataFrame(timeline_rows(account_timeline(session, view))), TIMELINE
    )
    screen.tabs = {
        "Billing": [
            _table("Subscriptions", view.subscriptions, SUBSCRIPTIONS),
            _table("Invoices", view.invoices, INVOICES),
            _table("Payments", view.payments, PAYMENTS),
            _table("Refunds", view.refunds, REFUNDS),
            _table("Credit notes", view.credit_notes, CREDIT_NOTES),
            _table("Billing corrections", view.billing_corrections, CORRECTIONS),
            _table("Stripe customers", view.customers, CUSTOMERS),
        ],
        "Zendesk and usage": [
            _table("Installations", view.installations, INSTALLATIONS),
            _table("Usage (last 30 days)", view.usage, USAGE),
        ],
        "Contacts": [_table("Contacts", view.contacts, CONTACTS)],
        "Privacy": [_table("Privacy requests", view.privacy_requests, PRIVACY)],
    }
    discounted = set(
        session.exec(
            select(StripeDiscount.subscription_id).where(
                col(StripeDiscount.subscription_id).in_([s["id"] for s in view.subscriptions])
            )
        )
    )
    screen.correction_refusal = role_refusal(role, "corrections")
    screen.correction_targets = [
        *payment_targets(view.payments, role),
        *invoice_targets(view.invoices, role),
        *subscription_targets(view.subscriptions, role, discounted=discounted),
    ]
    screen.contact_targets = contact_targets(view.contacts, role)
    screen.stripe_links = [StripeLink(c["id"], stripe_customer_url(c["id"])) for c in view.customers]
    return screen
