"""The records of processing (GDPR art. 30) the code declares, beside the tables they describe.

Columns that hold personal data say so themselves (`sa_column_kwargs=personal("<category>")`, read back
from `column.info["personal_data"]`). This module adds what belongs to a whole table (purpose, legal
basis, retention, source system), the columns whose names look personal but are not (with why), and
what the company holds in Stripe and Zendesk. `tests/test_data_map.py` fails when a table has no entry
here or a personal-looking column has no category.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    CONTACT_EMAIL = "contact_email"
    NAME = "name"
    PHONE = "phone"
    JOB_TITLE = "job_title"
    LOCATION = "location"
    IP_ADDRESS = "ip_address"
    DEVICE_DATA = "device_data"  # user agent, browser, operating system
    PSEUDONYMOUS_ID = "pseudonymous_id"  # keyed hash of a Zendesk user id
    BILLING = "billing"
    CONSENT = "consent"
    CREDENTIAL = "credential"
    STAFF_IDENTITY = "staff_identity"  # a console user's email, in who-did-what columns
    FREE_TEXT = "free_text"  # free text or JSON that may contain personal data


CATEGORY_LABELS = {
    Category.CONTACT_EMAIL: "Contact email",
    Category.NAME: "Name",
    Category.PHONE: "Phone number",
    Category.JOB_TITLE: "Job title",
    Category.LOCATION: "Country / state",
    Category.IP_ADDRESS: "IP address",
    Category.DEVICE_DATA: "Device data (user agent, browser, OS)",
    Category.PSEUDONYMOUS_ID: "Pseudonymous user id (keyed hash)",
    Category.BILLING: "Billing data",
    Category.CONSENT: "Marketing consent",
    Category.CREDENTIAL: "Credential (hash or encrypted token)",
    Category.STAFF_IDENTITY: "Console user identity",
    Category.FREE_TEXT: "Free text that may contain personal data",
}


class Basis(StrEnum):
    CONTRACT = "contract (art. 6(1)(b))"
    LEGAL_OBLIGATION = "legal obligation (art. 6(1)(c))"
    LEGITIMATE_INTERESTS = "legitimate interests (art. 6(1)(f))"
    CONSENT = "consent (art. 6(1)(a))"
    PROCESSOR = "on the client's instructions, as processor (art. 28)"
    NONE = "no personal data"


@dataclass(frozen=True)
class TableInfo:
    purpose: str
    legal_basis: Basis
    retention: str
    source: str  # where the data comes from


_OPS = "Operating the console itself"
_MIRROR = "Stripe (sync mirror)"
_SUBS = "Kept while the Stripe object exists; refreshed by every sync"
_AGG = "Aggregates without personal data"

TABLES: dict[str, TableInfo] = {
    "apps": TableInfo("The company's Marketplace apps", Basis.NONE, "While the app is sold", "console"),
    "accounts": TableInfo(
        "Customer companies (Zendesk accounts) we bill and support",
        Basis.CONTRACT,
        "While a customer, then 6 years (tax records)",
        "Zendesk, Marketplace CSV",
    ),
    "contacts": TableInfo(
        "Customer contacts: billing, support and (unless opted out) marketing",
        Basis.CONTRACT,
        "While the account is a customer; anonymised on a deletion request",
        "Zendesk, Stripe, officers",
    ),
    "installations": TableInfo(
        "Which app is installed where, on which plan", Basis.CONTRACT, "While installed + 2 years", "Zendesk"
    ),
    "zendesk_connections": TableInfo(
        "API credentials for Zendesk accounts we sync",
        Basis.LEGITIMATE_INTERESTS,
        "Until disconnected",
        "admins",
    ),
    "billing_corrections": TableInfo(
        "Refunds, credit notes and other billing fixes, with who asked and approved",
        Basis.LEGAL_OBLIGATION,
        "6 years (accounting records)",
        "account managers",
    ),
    "privacy_requests": TableInfo(
        "Handling data-subject requests and proving it",
        Basis.LEGAL_OBLIGATION,
        "At least 24 months after closing (docs/privacy.md)",
        "the subject, officers",
    ),
    "privacy_request_events": TableInfo(
        "Each request's timeline",
        Basis.LEGAL_OBLIGATION,
        "As the request",
        "officers",
    ),
    "privacy_request_steps": TableInfo(
        "Per-system export and deletion steps, with targets and results",
        Basis.LEGAL_OBLIGATION,
        "As the request",
        "the console",
    ),
    "data_exports": TableInfo(
        "Exports handed to subjects (files expire after EXPORT_EXPIRY_DAYS)",
        Basis.LEGAL_OBLIGATION,
        "Row as the request; file 7 days",
        "the console",
    ),
    "privacy_reminders": TableInfo(
        "Which deadline reminder went to whom on which day",
        Basis.LEGITIMATE_INTERESTS,
        "As the request",
        "the console",
    ),
    "stripe_customers": TableInfo("Who pays for what", Basis.CONTRACT, _SUBS, _MIRROR),
    "stripe_products": TableInfo("Price list", Basis.NONE, _SUBS, _MIRROR),
    "stripe_prices": TableInfo("Price list", Basis.NONE, _SUBS, _MIRROR),
    "stripe_coupons": TableInfo("Discounts on offer", Basis.NONE, _SUBS, _MIRROR),
    "stripe_subscriptions": TableInfo("Subscriptions and MRR", Basis.CONTRACT, _SUBS, _MIRROR),
    "stripe_subscription_items": TableInfo("Subscription lines", Basis.CONTRACT, _SUBS, _MIRROR),
    "stripe_discounts": TableInfo("Discounts applied", Basis.CONTRACT, _SUBS, _MIRROR),
    "stripe_invoices": TableInfo("Invoices", Basis.LEGAL_OBLIGATION, "6 years (tax law)", _MIRROR),
    "stripe_payments": TableInfo(
        "Payments (card brand and last four only)", Basis.CONTRACT, "6 years (tax law)", _MIRROR
    ),
    "stripe_refunds": TableInfo("Refunds", Basis.LEGAL_OBLIGATION, "6 years (tax law)", _MIRROR),
    "stripe_credit_notes": TableInfo("Credit notes", Basis.LEGAL_OBLIGATION, "6 years (tax law)", _MIRROR),
    "mrr_changes": TableInfo("Revenue history", Basis.NONE, "Indefinitely (no personal data)", "the console"),
    "users": TableInfo("Console users and roles", Basis.CONTRACT, "While employed + 1 year", "admins"),
    "login_sessions": TableInfo(
        "Keeping console users signed in, securely",
        Basis.LEGITIMATE_INTERESTS,
        "Until expiry (7 days)",
        "the console",
    ),
    "login_throttles": TableInfo(
        "Counting failed sign-ins for emails without a local password (no account enumeration)",
        Basis.LEGITIMATE_INTERESTS,
        "While the count matters: reset by a lockout's end or a successful sign-in",
        "the sign-in form",
    ),
    "job_locks": TableInfo(
        "Which process runs a scheduled job now",
        Basis.LEGITIMATE_INTERESTS,
        "While the job runs",
        "the console",
    ),
    "audit_events": TableInfo(
        "Proof of who did what (security, accountability)",
        Basis.LEGAL_OBLIGATION,
        "Never updated or deleted (audit chain)",
        "the console",
    ),
    "audit_chain_head": TableInfo("The audit chain's head", Basis.NONE, "Always", "the console"),
    "sync_runs": TableInfo(
        "Job runs and their results", Basis.LEGITIMATE_INTERESTS, "2 years", "the console"
    ),
    "stripe_webhook_events": TableInfo(
        "Stripe events received by the webhook, each once (ids and types only)",
        Basis.NONE,
        "Kept as the receiver's record of what arrived",
        _MIRROR,
    ),
    "sync_state": TableInfo("Sync cursors", Basis.NONE, "Always", "the console"),
    "fx_rates": TableInfo("Exchange rates", Basis.NONE, "Always", "admins"),
    "usage_events": TableInfo(
        "How apps are used (product analytics, support, abuse prevention)",
        Basis.LEGITIMATE_INTERESTS,
        "USAGE_RETENTION_DAYS (default 90), then deleted or IP truncated",
        "app backends",
    ),
    "usage_agents": TableInfo(
        "The user agents usage events refer to, with their browser and OS",
        Basis.LEGITIMATE_INTERESTS,
        "Until no usage event refers to it",
        "app backends",
    ),
    "usage_daily_rollups": TableInfo("Daily usage counts", Basis.NONE, _AGG, "the console"),
    "usage_actor_days": TableInfo(
        "Distinct active users over any window",
        Basis.LEGITIMATE_INTERESTS,
        "As usage events",
        "the console",
    ),
    "app_daily_actives": TableInfo("DAU/WAU/MAU", Basis.NONE, _AGG, "the console"),
    "usage_feature_days": TableInfo("Feature usage", Basis.NONE, _AGG, "the console"),
    "usage_feature_months": TableInfo("Feature adoption", Basis.NONE, _AGG, "the console"),
    "usage_account_months": TableInfo("Account activity", Basis.NONE, _AGG, "the console"),
    "usage_cohorts": TableInfo("Retention cohorts", Basis.NONE, _AGG, "the console"),
}

# Columns whose names look personal but hold no personal data.
NOT_PERSONAL: dict[str, str] = {
    "apps.name": "an app's name",
    "accounts.company_name": "a company's name (business data)",
    "accounts.country": "a company's country (it suggests the law, but is not about a person)",
    "installations.plan_name": "a plan's name",
    "stripe_products.name": "a product's name",
    "stripe_coupons.name": "a coupon's name",
    "stripe_refunds.reason": "one of Stripe's fixed reason codes",
    "stripe_credit_notes.reason": "one of Stripe's fixed reason codes",
    "billing_corrections.reason_category": "one of a fixed list",
    "zendesk_connections.subdomain": "a company's Zendesk address",
    "accounts.zendesk_subdomain": "a company's Zendesk address",
    "stripe_customers.stripe_metadata": "console ids only (account, app)",
    "stripe_products.stripe_metadata": "app slugs only",
    "stripe_subscriptions.stripe_metadata": "console ids only",
    "stripe_refunds.stripe_metadata": "the console correction id only",
    "installations.settings": "an app's configuration in a client's Zendesk",
    "billing_corrections.params": "amounts, ids and options of the correction",
    "billing_corrections.result": "Stripe ids and statuses",
    "privacy_reminders.reason": "one of a fixed list",
    "sync_runs.message": "counts and outcomes of a job run",
    "job_locks.name": "the name of a scheduled job",
    "sync_runs.error": "error text of a job run",
    "stripe_subscriptions.cancellation_reason": "Stripe's code for why it cancelled (e.g. payment_failed)",
    "stripe_webhook_events.error": "why applying a Stripe event failed",
    "audit_events.actor_role": "a role name",
    "billing_corrections.error_message": "Stripe's error text",
    "billing_corrections.stripe_result_id": "a Stripe id",
    "data_exports.file_name": "a random file name",
    "data_exports.incomplete_reason": "which source failed and why",
    "privacy_reminders.error": "the SMTP server's error text",
    "privacy_request_steps.last_error": "a system's error text",
    "privacy_requests.acknowledge_by": "a date",
    "privacy_requests.client_instruction_at": "a time",
    "zendesk_connections.last_error": "Zendesk's error text",
}


@dataclass(frozen=True)
class ExternalRecord:
    system: str  # stripe | zendesk
    record: str
    fields: str
    categories: tuple[Category, ...]
    purpose: str
    legal_basis: Basis
    retention: str


EXTERNAL: tuple[ExternalRecord, ...] = (
    ExternalRecord(
        "stripe",
        "customer",
        "email, name, address, tax ids, metadata",
        (Category.CONTACT_EMAIL, Category.NAME, Category.LOCATION, Category.BILLING),
        "Billing Marketplace subscriptions",
        Basis.CONTRACT,
        "While a customer; deleted on a deletion request (invoices stay)",
    ),
    ExternalRecord(
        "stripe",
        "payment method / charge",
        "card brand, last four, expiry, billing address",
        (Category.BILLING, Category.LOCATION),
        "Taking payment",
        Basis.CONTRACT,
        "Stripe's retention; 6 years for charges",
    ),
    ExternalRecord(
        "stripe",
        "invoice, credit note, refund",
        "customer email and name as billed, amounts",
        (Category.CONTACT_EMAIL, Category.NAME, Category.BILLING),
        "Accounting and tax",
        Basis.LEGAL_OBLIGATION,
        "6 years (tax law); kept on deletion requests",
    ),
    ExternalRecord(
        "zendesk",
        "user (requester, agent)",
        "name, email, phone, organisation, time zone",
        (Category.NAME, Category.CONTACT_EMAIL, Category.PHONE, Category.LOCATION),
        "Support for our customers; as processor inside clients' Zendesk",
        Basis.PROCESSOR,
        "The Zendesk account's own retention; deleted on a (client-instructed) deletion request",
    ),
    ExternalRecord(
        "zendesk",
        "ticket and comments",
        "subject, free text, attachments, requester",
        (Category.FREE_TEXT, Category.NAME, Category.CONTACT_EMAIL),
        "Support",
        Basis.PROCESSOR,
        "The Zendesk account's own retention",
    ),
)
