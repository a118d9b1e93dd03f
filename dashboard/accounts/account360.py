"""Account 360: everything the console knows about one customer account, read from the store.

Each section is a list of plain rows. With `masked=True` (executives) names, emails and phone numbers
of people are masked; company-level data and money are not personal and stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import case, literal
from sqlmodel import Session, col, func, or_, select

from dashboard.access.masking import mask_email, mask_name, mask_phone
from dashboard.accounts.facts import owner_label
from dashboard.billing.subscriptions import list_subscriptions
from models import (
    Account,
    App,
    AuditEvent,
    BillingCorrection,
    Contact,
    Installation,
    PrivacyRequest,
    StripeCreditNote,
    StripeCustomer,
    StripeInvoice,
    StripePayment,
    StripeRefund,
    UsageDailyRollup,
    User,
)

SECTION_LIMIT = 500  # newest rows per section; the page says when a section is cut
USAGE_DAYS = 30


@dataclass(frozen=True)
class AccountChoice:
    id: int
    company_name: str
    zendesk_subdomain: str


@dataclass
class Account360:
    account: dict[str, Any]
    customers: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    installations: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    invoices: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    credit_notes: list[dict[str, Any]] = field(default_factory=list)
    usage: list[dict[str, Any]] = field(default_factory=list)
    privacy_requests: list[dict[str, Any]] = field(default_factory=list)
    billing_corrections: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)


def find_accounts(
    session: Session, *, search: str = "", owner_user_id: int | None = None, limit: int = 50
) -> list[AccountChoice]:
    """Accounts whose company name or subdomain contains `search`, or whose id it is; the accounts of
    `owner_user_id` first, then alphabetically."""
    owned_first = case((Account.owner_user_id == owner_user_id, 0), else_=1) if owner_user_id else literal(1)
    query = select(Account.id, Account.company_name, Account.zendesk_subdomain).order_by(
        owned_first, Account.company_name, Account.id
    )
    needle = search.strip().lower()
    if needle:
        matches = [
            func.lower(Account.company_name).contains(needle),
            func.lower(Account.zendesk_subdomain).contains(needle),
        ]
        if needle.isdigit():
            matches.append(Account.id == int(needle))
        query = query.where(or_(*matches))
    return [AccountChoice(*row) for row in session.exec(query.limit(limit))]


def account_choice(session: Session, account_id: int) -> AccountChoice | None:
    account = session.get(Account, account_id)
    return AccountChoice(account.id, account.company_name, account.zendesk_subdomain) if account else None


def _rows(objects: list[Any], exclude: set[str] | None = None) -> list[dict[str, Any]]:
    return [obj.model_dump(exclude=exclude or set()) for obj in objects]


def account_360(session: Session, *, account_id: int, masked: bool, today: date) -> Account360 | None:
    account = session.get(Account, account_id)
    if account is None:
        return None
    owner = session.get(User, account.owner_user_id) if account.owner_user_id else None
    view = Account360(account={**account.model_dump(), "owner": owner_label(owner)})
    customers = session.exec(select(StripeCustomer).where(StripeCustomer.account_id == account_id)).all()
    customer_ids = [c.id for c in customers]
    view.customers = _rows(customers, {"stripe_metadata"})
    view.contacts = _rows(
        session.exec(
            select(Contact)
            .where(Contact.account_id == account_id)
            .order_by(col(Contact.is_primary).desc(), Contact.name)
        ).all()
    )
    apps = dict(session.exec(select(App.id, App.name)).all())
    view.installations = [
        {**row, "app": apps.get(row["app_id"], "")}
        for row in _rows(
            session.exec(
                select(Installation)
                .where(Installation.account_id == account_id)
                .order_by(Installation.app_id)
            ).all(),
            {"settings"},
        )
    ]
    view.subscriptions = list_subscriptions(session, account_id=account_id)
    view.invoices = _rows(
        session.exec(
            select(StripeInvoice)
            .where(col(StripeInvoice.customer_id).in_(customer_ids))
            .order_by(col(StripeInvoice.created).desc())
            .limit(SECTION_LIMIT)
        ).all()
    )
    view.payments = _rows(
        session.exec(
            select(StripePayment)
            .where(col(StripePayment.customer_id).in_(customer_ids))
            .order_by(col(StripePayment.created).desc())
            .limit(SECTION_LIMIT)
        ).all()
    )
    charge_ids = [p["id"] for p in view.payments]
    view.refunds = _rows(
        session.exec(
            select(StripeRefund)
            .where(col(StripeRefund.charge_id).in_(charge_ids))
            .order_by(col(StripeRefund.created).desc())
        ).all(),
        {"stripe_metadata"},
    )
    view.credit_notes = _rows(
        session.exec(
            select(StripeCreditNote)
            .where(col(StripeCreditNote.customer_id).in_(customer_ids))
            .order_by(col(StripeCreditNote.created).desc())
            .limit(SECTION_LIMIT)
        ).all()
    )
    view.usage = _usage(session, account_id, apps, today)
    view.privacy_requests = _latest(
        session, PrivacyRequest, PrivacyRequest.received_on, account_id, hidden={"notes"}
    )
    view.billing_corrections = _latest(
        session, BillingCorrection, BillingCorrection.requested_at, account_id, hidden={"params", "result"}
    )
    view.audit = _latest(session, AuditEvent, AuditEvent.id, account_id, hidden={"prev_hash", "row_hash"})
    if masked:
        _mask(view)
    return view


def _latest(
    session: Session, model: Any, newest_first: Any, account_id: int, *, hidden: set[str]
) -> list[dict[str, Any]]:
    """The account's SECTION_LIMIT newest rows of `model` (by `newest_first`), without the `hidden` fields."""
    statement = select(model).where(model.account_id == account_id).order_by(col(newest_first).desc())
    return _rows(session.exec(statement.limit(SECTION_LIMIT)).all(), hidden)


def _usage(session: Session, account_id: int, apps: dict[int, str], today: date) -> list[dict[str, Any]]:
    """Per app and feature over the last 30 days: events and the busiest day's distinct users."""
    since = today - timedelta(days=USAGE_DAYS)
    rows = session.exec(
        select(
            UsageDailyRollup.app_id,
            UsageDailyRollup.feature,
            func.sum(UsageDailyRollup.events),
            func.max(UsageDailyRollup.distinct_actors),
            func.count(func.distinct(UsageDailyRollup.day)),
        )
        .where(UsageDailyRollup.account_id == account_id, UsageDailyRollup.day >= since)
        .group_by(UsageDailyRollup.app_id, UsageDailyRollup.feature)
        .order_by(UsageDailyRollup.app_id, UsageDailyRollup.feature)
    )
    return [
        {
            "app": apps.get(app_id, str(app_id)),
            "feature": feature,
            "events": int(events or 0),
            "peak_daily_users": int(peak or 0),
            "active_days": int(days),
        }
        for app_id, feature, events, peak, days in rows
    ]


WITHHELD = "•••"


def _withheld(value: Any) -> str:
    return WITHHELD if value not in (None, "") else ""


# Per section, the columns that are about a person (or free text that may be) and how each is masked
# for executives. Company data, ids, states and money stay as they are.
PERSONAL_COLUMNS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "contacts": {"name": mask_name, "email": mask_email, "phone": mask_phone, "job_title": _withheld},
    "customers": {"name": mask_name, "email": mask_email},  # a billing name can be a person's
    "subscriptions": {"email": mask_email},
    "payments": {"card_brand": _withheld, "card_last4": _withheld},
    "privacy_requests": {
        "subject_name": mask_name,
        "subject_email": mask_email,
        "created_by": mask_email,
        "extension_reason": _withheld,
        "client_instruction": _withheld,
        "denial_reason": _withheld,
        "appeal_info": _withheld,
    },
    "billing_corrections": {
        "requested_by": mask_email,
        "decided_by": mask_email,
        "reason_text": _withheld,
        "decision_reason": _withheld,
        "error_message": _withheld,
    },
    "audit": {"actor": mask_email, "details": lambda _details: {}},
}


def _mask(view: Account360) -> None:
    view.account["owner"] = mask_name(view.account["owner"])  # a staff member
    for section, columns in PERSONAL_COLUMNS.items():
        for row in getattr(view, section):
            row.update({name: mask(row[name]) for name, mask in columns.items() if name in row})
