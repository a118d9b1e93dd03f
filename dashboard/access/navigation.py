"""Which pages exist, where their files are, and which roles may open them.

`streamlit_app.py` builds the navigation from this table, and every page checks it again itself
through `dashboard.ui.access.require_page`, so a URL typed by hand cannot open a page.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_ROLES = frozenset({"account_manager", "privacy_officer", "executive", "admin"})


@dataclass(frozen=True)
class PageSpec:
    key: str  # also the URL path
    file: str  # relative to the project root
    title: str
    icon: str
    section: str
    roles: frozenset[str]


def _roles(*names: str) -> frozenset[str]:
    return frozenset(names) | {"admin"}


# Within a section pages show in this order; a role lands on its first page in SECTION_ORDER.
PAGES: tuple[PageSpec, ...] = (
    PageSpec(
        "overview",
        "app_pages/overview.py",
        "Overview",
        ":material/monitoring:",
        "Business",
        _roles("executive"),
    ),
    PageSpec("usage", "app_pages/usage.py", "Usage", ":material/insights:", "Business", _roles("executive")),
    PageSpec(
        "revenue", "app_pages/revenue.py", "Revenue", ":material/payments:", "Business", _roles("executive")
    ),
    PageSpec(
        "users", "app_pages/users.py", "Users and roles", ":material/group:", "Administration", _roles()
    ),
    PageSpec(
        "privacy",
        "app_pages/privacy_requests.py",
        "Privacy requests",
        ":material/inbox:",
        "Privacy",
        _roles("privacy_officer"),
    ),
    PageSpec(
        "privacy_intake",
        "app_pages/privacy_intake.py",
        "Log a request",
        ":material/add_circle:",
        "Privacy",
        _roles("privacy_officer", "account_manager"),  # an AM logs what a customer asked; no more
    ),
    PageSpec(
        "privacy_reports",
        "app_pages/privacy_reports.py",
        "Privacy reports",
        ":material/summarize:",
        "Privacy",
        _roles("privacy_officer"),
    ),
    PageSpec(
        "privacy-exports",
        "app_pages/privacy_exports.py",
        "Exports and deletions",
        ":material/folder_zip:",
        "Privacy",
        _roles("privacy_officer"),
    ),
    PageSpec(
        "data-map",
        "app_pages/data_map.py",
        "Data map",
        ":material/account_tree:",
        "Privacy",
        _roles("privacy_officer"),
    ),
    PageSpec(
        "audit",
        "app_pages/audit_log.py",
        "Audit log",
        ":material/history:",
        "Privacy",
        _roles("privacy_officer"),
    ),
    PageSpec("sync", "app_pages/sync.py", "Sync and settings", ":material/sync:", "Administration", _roles()),
    PageSpec(
        "my-accounts",
        "app_pages/my_accounts.py",
        "My accounts",
        ":material/badge:",
        "Customers",
        _roles("account_manager"),
    ),
    PageSpec(
        "installations",
        "app_pages/installations.py",
        "Installations",
        ":material/extension:",
        "Customers",
        _roles("account_manager"),
    ),
    PageSpec(
        "subscriptions",
        "app_pages/subscriptions.py",
        "Subscriptions",
        ":material/receipt_long:",
        "Billing",
        _roles("account_manager"),
    ),
    PageSpec(
        "account",
        "app_pages/account.py",
        "Account 360",
        ":material/apartment:",
        "Customers",
        _roles("account_manager", "executive"),
    ),
    PageSpec(
        "marketplace-import",
        "app_pages/marketplace_import.py",
        "Marketplace import",
        ":material/upload_file:",
        "Customers",
        _roles("account_manager"),
    ),
    PageSpec(
        "reconciliation",
        "app_pages/reconciliation.py",
        "Reconciliation",
        ":material/rule:",
        "Billing",
        _roles("account_manager"),
    ),
    PageSpec(
        "failed-payments",
        "app_pages/failed_payments.py",
        "Failed payments",
        ":material/credit_card_off:",
        "Billing",
        _roles("account_manager"),
    ),
    PageSpec(
        "corrections",
        "app_pages/corrections.py",
        "Billing corrections",
        ":material/currency_exchange:",
        "Billing",
        _roles("account_manager"),
    ),
    PageSpec(
        "correction-approvals",
        "app_pages/correction_approvals.py",
        "Correction approvals",
        ":material/approval:",
        "Billing",
        _roles("account_manager"),
    ),
    PageSpec(
        "correction-history",
        "app_pages/correction_history.py",
        "Corrections history",
        ":material/receipt_long:",
        "Billing",
        _roles("account_manager"),
    ),
    PageSpec("profile", "app_pages/profile.py", "My profile", ":material/person:", "Account", ALL_ROLES),
)

SECTION_ORDER = ("Business", "Customers", "Billing", "Privacy", "Administration", "Account")


def page(key: str) -> PageSpec:
    for spec in PAGES:
        if spec.key == key:
            return spec
    raise KeyError(key)


def can_open(role: str | None, key: str) -> bool:
    return role is not None and role in page(key).roles


def pages_for(role: str) -> list[PageSpec]:
    return [spec for spec in PAGES if role in spec.roles]


def sections_for(role: str) -> dict[str, list[PageSpec]]:
    """The role's pages grouped by section, sections in their fixed order."""
    grouped: dict[str, list[PageSpec]] = {}
    for spec in sorted(pages_for(role), key=lambda s: SECTION_ORDER.index(s.section)):
        grouped.setdefault(spec.section, []).append(spec)
    return grouped


# Each role's home: account managers their own accounts, privacy officers their queue, executives and
# admins the business at a glance. A role not listed lands on its first page.
LANDING = {
    "account_manager": "my-accounts",
    "privacy_officer": "privacy",
    "executive": "overview",
    "admin": "overview",
}


def landing_page(role: str) -> PageSpec:
    """The page a role sees first after signing in."""
    if role in LANDING:
        return page(LANDING[role])
    return next(spec for specs in sections_for(role).values() for spec in specs)
