"""Demo users (one per role), the company's apps, customer accounts and their contacts."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

from sqlmodel import Session, select

from dashboard.access.auth import hash_password
from dashboard.demo.context import DemoContext
from models import Account, App, Contact, User

# Demo logins: only ever created in the demo store. Listed in the README.
DEMO_PASSWORD = "demo-password-123"
DEMO_USERS: dict[str, tuple[str, str]] = {
    "admin": ("admin@demo.example", "Ada Admin"),
    "account_manager": ("am@demo.example", "Alex Account"),
    "privacy_officer": ("privacy@demo.example", "Pia Privacy"),
    "executive": ("exec@demo.example", "Eve Executive"),
}

APPS = [
    ("ticket-tagger", "Ticket Tagger Pro", 900001, "prod_demo_tagger"),
    ("sla-radar", "SLA Radar", 900002, "prod_demo_sla"),
    ("csat-boost", "CSAT Boost", 900003, "prod_demo_csat"),
    ("macro-suite", "Macro Suite", 900004, "prod_demo_macro"),
]

_PREFIXES = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Vandelay",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Massive",
    "Aperture",
    "Oscorp",
    "Monarch",
    "Pied",
    "Nakatomi",
    "Gringotts",
    "Dunder",
    "Prestige",
    "Sterling",
    "Blue Sun",
    "Black Mesa",
    "Oceanic",
    "Virtucon",
]
_SUFFIXES = [
    "Labs",
    "Logistics",
    "Retail",
    "Health",
    "Travel",
    "Foods",
    "Energy",
    "Media",
    "Bank",
    "Software",
    "Games",
    "Motors",
    "Insurance",
    "Telecom",
    "Studios",
    "Outdoors",
]
_FIRST = [
    "Anna",
    "Ben",
    "Chloe",
    "David",
    "Emma",
    "Felix",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kara",
    "Liam",
    "Maya",
    "Noah",
    "Olga",
    "Paul",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Will",
    "Yara",
    "Zoe",
]
_LAST = [
    "Smith",
    "Müller",
    "Garcia",
    "Rossi",
    "Dubois",
    "Kowalski",
    "Jensen",
    "Silva",
    "Novak",
    "Brown",
    "Schmidt",
    "Martin",
    "Costa",
    "Nielsen",
    "Fischer",
    "Moreau",
    "Weber",
    "Lopez",
    "Evans",
    "Berg",
]
_TITLES = [
    "Support Manager",
    "Head of Customer Service",
    "IT Administrator",
    "CX Lead",
    "Finance Manager",
    "Zendesk Admin",
    "COO",
    "Operations Analyst",
]
COUNTRIES = ["US", "US", "US", "GB", "GB", "DE", "FR", "NL", "IE", "ES", "IT", "CA", "AU", "BR", "SE"]


def generate(ctx: DemoContext) -> None:
    with Session(ctx.engine) as session:
        if session.exec(select(User)).first() is not None:
            raise RuntimeError("The store is not empty; demo data goes only into an empty store.")
        owner_ids = _add_users(session, ctx)
        app_ids = _add_apps(session, ctx)
        session.commit()
    account_rows, contact_rows = _account_and_contact_rows(ctx, owner_ids)
    ctx.bulk_insert(Account, account_rows)
    ctx.bulk_insert(Contact, contact_rows)
    ctx.shared.update(
        app_ids=app_ids,
        account_ids=[row["id"] for row in account_rows],
        accounts=account_rows,
        contacts=contact_rows,
        owner_ids=owner_ids,
    )


def _ascii(name: str) -> str:
    """`Müller` → `muller`: the console's intake accepts only ASCII in an email's local part."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


def _add_users(session: Session, ctx: DemoContext) -> list[int]:
    password_hash = hash_password(DEMO_PASSWORD)
    joined = ctx.now - timedelta(days=800)
    owners = []
    for role, (email, name) in DEMO_USERS.items():
        user = User(email=email, name=name, role=role, password_hash=password_hash, created_at=joined)
        session.add(user)
        session.flush()
        if role == "account_manager":
            owners.append(user.id)
    second = User(
        email="am2@demo.example",
        name="Sam Second",
        role="account_manager",
        password_hash=password_hash,
        created_at=joined,
    )
    session.add(second)
    session.flush()
    return [*owners, second.id]


def _add_apps(session: Session, ctx: DemoContext) -> list[int]:
    ids = []
    for slug, name, zendesk_id, product in APPS:
        app = App(
            slug=slug,
            name=name,
            zendesk_app_id=zendesk_id,
            stripe_product_id=product,
            created_at=ctx.now - timedelta(days=900),
        )
        session.add(app)
        session.flush()
        ids.append(app.id)
    return ids


def _account_and_contact_rows(ctx: DemoContext, owner_ids: list[int]) -> tuple[list[dict], list[dict]]:
    rng = ctx.rng
    accounts, contacts = [], []
    contact_id = 0
    for account_id in range(1, ctx.size.accounts + 1):
        company = f"{rng.choice(_PREFIXES)} {rng.choice(_SUFFIXES)}"
        subdomain = f"{company.lower().replace(' ', '')}{account_id}"
        created = ctx.now - timedelta(days=rng.randint(30, 760), minutes=rng.randint(0, 1440))
        accounts.append(
            {
                "id": account_id,
                "company_name": company,
                "zendesk_subdomain": subdomain,
                "country": rng.choice(COUNTRIES),
                "owner_user_id": rng.choice(owner_ids),
                "created_at": created,
            }
        )
        for position in range(rng.choice((1, 1, 2, 2, 3))):
            contact_id += 1
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            contacts.append(
                {
                    "id": contact_id,
                    "account_id": account_id,
                    "name": f"{first} {last}",
                    "email": f"{first.lower()}.{_ascii(last)}{contact_id}@{subdomain}.example.com",
                    "phone": f"+1 555 {rng.randint(1000000, 9999999)}",
                    "job_title": rng.choice(_TITLES),
                    "is_primary": position == 0,
                    "marketing_opt_out": rng.random() < 0.08,
                    "marketing_opt_out_at": None,
                    "anonymized_at": None,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            if contacts[-1]["marketing_opt_out"]:
                contacts[-1]["marketing_opt_out_at"] = created + timedelta(days=rng.randint(1, 20))
    return accounts, contacts
