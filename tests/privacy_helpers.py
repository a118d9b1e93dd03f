"""Small builders shared by the privacy tests."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from dashboard.access.identity import Actor
from dashboard.privacy import requests
from models import Account, Contact, PrivacyRequest

TODAY = date(2026, 3, 16)


def add_account_with_contact(session: Session, email: str = "maria.costa@acme.example") -> Contact:
    account = Account(company_name="Acme Labs", zendesk_subdomain=f"acme{abs(hash(email)) % 10_000}")
    session.add(account)
    session.flush()
    contact = Contact(
        account_id=account.id,
        name="Maria Costa",
        email=email,
        phone="+44 20 7946 0000",
        job_title="Support Manager",
    )
    session.add(contact)
    session.commit()
    return contact


def new_request(session: Session, actor: Actor, **overrides: object) -> PrivacyRequest:
    fields: dict = {
        "type": "access",
        "subject_name": "Maria Costa",
        "subject_email": "maria.costa@acme.example",
        "jurisdiction": "eu_gdpr",
        "received_on": date(2026, 3, 2),
        "today": TODAY,
    }
    fields.update(overrides)
    request = requests.create_request(session, actor, **fields)
    session.commit()
    return request
