"""The data map: what the store, Stripe and Zendesk hold about people, why and for how long (GDPR art. 30).

Generated from the code: personal-data categories from the columns (`column.info["personal_data"]`),
table purposes from `models.data_map.TABLES`, what the export and the deletion do with each personal
column from `EXPORT` and `DELETION` below (they name the code that does it; `tests/test_data_map.py`
checks both against the columns, and the store's export and deletion against these claims).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import MetaData
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table)
from models.data_map import CATEGORY_LABELS, EXTERNAL, NOT_PERSONAL, TABLES, Category

SYSTEM_LABELS = {"store": "Console store", "stripe": "Stripe", "zendesk": "Zendesk"}

# A column whose name matches this must declare a category or be listed in NOT_PERSONAL.
PERSONAL_LOOKING = re.compile(
    r"(^|_)(email|name|phone|ip|ip_address|user_agent|browser|os|address|actor|actor_hash|notes|text|"
    r"reason|instruction|memo|details|metadata|token|password|card|country|region|recipient|title|"
    r"by|info|settings|params|result|sources|message|error)($|_)"
)


@dataclass(frozen=True)
class Exported:
    where: str  # the export category (dashboard/privacy/exports) that carries it


@dataclass(frozen=True)
class Excluded:
    why: str


@dataclass(frozen=True)
class Erased:
    how: str  # "anonymised" | "deleted" | "nulled", with where (dashboard/privacy/deletions/steps.py)


@dataclass(frozen=True)
class Kept:
    why: str


_STAFF = Excluded("a console user's identity in an internal record, not data about the subject")
_STAFF_KEPT = Kept("who-did-what on internal records; staff accounts are handled on the Users page")
_PROOF = Kept("request records are kept at least 24 months as proof of compliance (docs/privacy.md)")
_INTERNAL = Excluded("the officers' internal handling record; summarised in the export's privacy_requests")
_AUDIT = Kept("the audit log is never updated or deleted: it is the keyed proof of who did what")
_TAX = Kept("accounting and tax records are kept 6 years")
_FROM_STRIPE = Excluded("exported from Stripe itself (the source), not from this mirror")
_SHARED_AGENT = Kept(
    "one row per distinct user agent, shared by everyone sending it: the subject's events stop "
    "referring to it (agent_id nulled, store step); retention deletes it with the last event that does"
)

EXPORT: dict[str, Exported | Excluded] = {
    "contacts.name": Exported("contact"),
    "contacts.email": Exported("contact"),
    "contacts.phone": Exported("contact"),
    "contacts.job_title": Exported("account_roles"),
    "contacts.marketing_opt_out": Exported("marketing_consent"),
    "contacts.marketing_opt_out_at": Exported("marketing_consent"),
    "zendesk_connections.email": Excluded("a company's integration login, not data about the subject"),
    "zendesk_connections.token_encrypted": Excluded("a secret; never exported"),
    "users.email": Excluded("console staff are not data subjects of the console's requests"),
    "users.name": Excluded("console staff are not data subjects of the console's requests"),
    "users.password_hash": Excluded("a secret; never exported"),
    "login_sessions.token_hash": Excluded("a secret; never exported"),
    "login_sessions.user_agent": Excluded("console staff's browsers, not the subject's"),
    "login_throttles.email_hash": Excluded("a security counter keyed by a hash of whatever was typed"),
    "job_locks.holder": _STAFF,
    "audit_events.actor": _STAFF,
    "audit_events.details": Excluded("copies of changes the export already holds at their source"),
    "sync_runs.triggered_by": _STAFF,
    "fx_rates.updated_by": _STAFF,
    "billing_corrections.reason_text": Excluded("an internal note on a company's bill"),
    "billing_corrections.requested_by": _STAFF,
    "billing_corrections.decided_by": _STAFF,
    "billing_corrections.decision_reason": Excluded("an internal note on a company's bill"),
    "privacy_requests.subject_name": Excluded(
        "given by the subject with the request; the contact is exported"
    ),
    "privacy_requests.subject_email": Excluded("the export's own key; the contact is exported"),
    "privacy_requests.subject_country": Excluded("given by the subject with the request"),
    "privacy_requests.subject_region": Excluded("given by the subject with the request"),
    "privacy_requests.notes": _INTERNAL,
    "privacy_requests.jurisdiction_reason": _INTERNAL,
    "privacy_requests.extension_reason": Excluded("sent to the subject with the extension notice"),
    "privacy_requests.client_instruction": Excluded("the client's instruction to its processor"),
    "privacy_requests.denial_reason": Excluded("sent to the subject with the denial"),
    "privacy_requests.appeal_info": Excluded("sent to the subject with the denial"),
    "privacy_requests.created_by": _STAFF,
    "privacy_request_events.actor": _STAFF,
    "privacy_request_events.text": _INTERNAL,
    "privacy_request_events.details": _INTERNAL,
    "privacy_request_steps.done_by": _STAFF,
    "privacy_request_steps.result": _INTERNAL,
    "data_exports.created_by": _STAFF,
    "data_exports.sources": Excluded("the export's own manifest, which the ZIP contains"),
    "privacy_reminders.recipient": _STAFF,
    "stripe_customers.email": _FROM_STRIPE,
    "stripe_customers.name": _FROM_STRIPE,
    "stripe_customers.balance": _FROM_STRIPE,
    "stripe_payments.card_brand": _FROM_STRIPE,
    "stripe_payments.card_last4": _FROM_STRIPE,
    "stripe_payments.card_exp_month": _FROM_STRIPE,
    "stripe_payments.card_exp_year": _FROM_STRIPE,
    "stripe_credit_notes.memo": _FROM_STRIPE,
    "usage_events.actor_hash": Excluded("our keyed lookup value, meaningless outside the console"),
    "usage_events.ip_address": Exported("usage_events, technical_data"),
    "usage_agents.user_agent": Exported("usage_events"),
    "usage_agents.browser": Exported("usage_events, technical_data"),
    "usage_agents.os": Exported("usage_events, technical_data"),
    "usage_actor_days.actor_hash": Excluded("our keyed lookup value; the events are exported"),
}

DELETION: dict[str, Erased | Kept] = {
    "contacts.name": Erased("anonymised (store step)"),
    "contacts.email": Erased("anonymised (store step)"),
    "contacts.phone": Erased("emptied (store step)"),
    "contacts.job_title": Erased("emptied (store step)"),
    "contacts.marketing_opt_out": Kept("stays on the anonymised row, which identifies no one"),
    "contacts.marketing_opt_out_at": Kept("stays on the anonymised row, which identifies no one"),
    "zendesk_connections.email": Kept("needed by the integration until an admin disconnects it"),
    "zendesk_connections.token_encrypted": Kept("needed by the integration until an admin disconnects it"),
    "users.email": _STAFF_KEPT,
    "users.name": _STAFF_KEPT,
    "users.password_hash": _STAFF_KEPT,
    "login_sessions.token_hash": Kept("expires with the session (7 days)"),
    "login_sessions.user_agent": Kept("expires with the session (7 days)"),
    "login_throttles.email_hash": Kept("a hash, reset when the lockout ends; it names no one by itself"),
    "job_locks.holder": _STAFF_KEPT,
    "audit_events.actor": _AUDIT,
    "audit_events.details": _AUDIT,
    "sync_runs.triggered_by": _STAFF_KEPT,
    "fx_rates.updated_by": _STAFF_KEPT,
    "billing_corrections.reason_text": _TAX,
    "billing_corrections.requested_by": _TAX,
    "billing_corrections.decided_by": _TAX,
    "billing_corrections.decision_reason": _TAX,
    **{
        f"privacy_requests.{c}": _PROOF
        for c in (
            "subject_name",
            "subject_email",
            "subject_country",
            "subject_region",
            "notes",
            "jurisdiction_reason",
            "extension_reason",
            "client_instruction",
            "denial_reason",
            "appeal_info",
            "created_by",
        )
    },
    "privacy_request_events.actor": _PROOF,
    "privacy_request_events.text": _PROOF,
    "privacy_request_events.details": _PROOF,
    "privacy_request_steps.done_by": _PROOF,
    "privacy_request_steps.result": _PROOF,
    "data_exports.created_by": _PROOF,
    "data_exports.sources": _PROOF,
    "privacy_reminders.recipient": _PROOF,
    "stripe_customers.email": Erased("nulled in the mirror (store step); the Stripe customer is deleted"),
    "stripe_customers.name": Erased("nulled in the mirror (store step); the Stripe customer is deleted"),
    "stripe_customers.balance": _TAX,
    "stripe_payments.card_brand": _TAX,
    "stripe_payments.card_last4": _TAX,
    "stripe_payments.card_exp_month": _TAX,
    "stripe_payments.card_exp_year": _TAX,
    "stripe_credit_notes.memo": _TAX,
    "usage_events.actor_hash": Erased("replaced by a random unlinkable value (store step)"),
    "usage_events.ip_address": Erased("nulled (store step)"),
    "usage_agents.user_agent": _SHARED_AGENT,
    "usage_agents.browser": _SHARED_AGENT,
    "usage_agents.os": _SHARED_AGENT,
    "usage_actor_days.actor_hash": Erased("replaced by the same unlinkable value (store step)"),
}


@dataclass(frozen=True)
class PersonalColumn:
    table: str
    column: str
    category: Category

    @property
    def key(self) -> str:
        return f"{self.table}.{self.column}"


def personal_columns(metadata: MetaData = SQLModel.metadata) -> list[PersonalColumn]:
    """Every column that declares a personal-data category, table by table."""
    found = []
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        for column in table.columns:
            category = column.info.get("personal_data")
            if category:
                found.append(PersonalColumn(table.name, column.name, Category(category)))
    return found


def undeclared_columns(metadata: MetaData = SQLModel.metadata) -> list[str]:
    """Columns whose names look personal, with neither a category nor a NOT_PERSONAL reason."""
    missing = []
    for table in metadata.tables.values():
        for column in table.columns:
            key = f"{table.name}.{column.name}"
            declared = column.info.get("personal_data") or key in NOT_PERSONAL
            if PERSONAL_LOOKING.search(column.name) and not declared:
                missing.append(key)
    return sorted(missing)


def _disposition(value: object) -> str:
    if isinstance(value, Exported):
        return f"exported ({value.where})"
    if isinstance(value, Excluded):
        return f"not exported: {value.why}"
    if isinstance(value, Erased):
        return value.how
    if isinstance(value, Kept):
        return f"kept: {value.why}"
    return "NOT DECLARED"


@dataclass
class DataMapScreen:
    rows: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # by system
    counts: dict[str, int] = field(default_factory=dict)

    def all_rows(self) -> list[dict[str, str]]:
        return [row for system in SYSTEM_LABELS for row in self.rows.get(system, [])]


def data_map_screen() -> DataMapScreen:
    """One row per personal-data column in the store and per record type held in Stripe and Zendesk."""
    screen = DataMapScreen()
    store = []
    for col in personal_columns():
        info = TABLES[col.table]
        store.append(
            {
                "system": SYSTEM_LABELS["store"],
                "record": col.table,
                "field": col.column,
                "category": CATEGORY_LABELS[col.category],
                "purpose": info.purpose,
                "legal_basis": str(info.legal_basis),
                "retention": info.retention,
                "source": info.source,
                "export": _disposition(EXPORT.get(col.key)),
                "deletion": _disposition(DELETION.get(col.key)),
            }
        )
    screen.rows["store"] = store
    for system in ("stripe", "zendesk"):
        screen.rows[system] = [
            {
                "system": SYSTEM_LABELS[system],
                "record": record.record,
                "field": record.fields,
                "category": ", ".join(CATEGORY_LABELS[c] for c in record.categories),
                "purpose": record.purpose,
                "legal_basis": str(record.legal_basis),
                "retention": record.retention,
                "source": SYSTEM_LABELS[system],
                "export": "exported (the export's stripe / zendesk part)",
                "deletion": record.retention,
            }
            for record in EXTERNAL
            if record.system == system
        ]
    screen.counts = {system: len(rows) for system, rows in screen.rows.items()}
    return screen


DATA_MAP_COLUMNS = (
    "system",
    "record",
    "field",
    "category",
    "purpose",
    "legal_basis",
    "retention",
    "source",
    "export",
    "deletion",
)
