"""Executives see Account 360 (and its CSVs, built from the same rows) without personal data."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime

from sqlmodel import Session

from dashboard.accounts.account360 import account_360
from models import Account, BillingCorrection, Contact, PrivacyRequest, StripeCustomer, StripePayment, User

SECRETS = {
    "owner": "Olivia Owner",
    "job_title": "Head of Customer Care",
    "card_last4": "4242",
    "card_brand": "visa",
    "staff": "officer.pia@company.example",
    "requester": "am.alex@company.example",
    "denial": "Subject is the CEO's ex-partner",
    "correction_reason": "Refund promised to Jane on the phone",
}


def _world(session: Session, make_user) -> int:
    owner = make_user("account_manager", email="owner@company.example")
    user = session.get(User, owner.user_id)
    user.name = SECRETS["owner"]
    account = Account(company_name="Acme", zendesk_subdomain="acme", owner_user_id=owner.user_id)
    session.add_all([user, account])
    session.flush()
    session.add_all(
        [
            Contact(
                account_id=account.id,
                name="Anna Smith",
                email="anna@acme.example",
                job_title=SECRETS["job_title"],
            ),
            StripeCustomer(
                id="cus_a", account_id=account.id, email="billing@acme.example", name="Anna Smith"
            ),
            StripePayment(
                id="ch_1",
                customer_id="cus_a",
                amount=1000,
                currency="usd",
                status="succeeded",
                card_brand=SECRETS["card_brand"],
                card_last4=SECRETS["card_last4"],
                created=datetime(2026, 11, 1, tzinfo=UTC),
            ),
            PrivacyRequest(
                type="access",
                status="denied",
                subject_name="Anna Smith",
                subject_email="anna@acme.example",
                account_id=account.id,
                jurisdiction="gdpr",
                received_on=date(2026, 11, 1),
                created_by=SECRETS["staff"],
                denial_reason=SECRETS["denial"],
            ),
            BillingCorrection(
                kind="refund",
                account_id=account.id,
                reason_category="goodwill",
                reason_text=SECRETS["correction_reason"],
                idempotency_key="k1",
                requested_by=SECRETS["requester"],
            ),
        ]
    )
    session.commit()
    return account.id


def test_executives_see_no_personal_data_on_account_360(session: Session, make_user) -> None:
    account_id = _world(session, make_user)
    plain = str(asdict(account_360(session, account_id=account_id, masked=False, today=date(2026, 11, 22))))
    masked_view = account_360(session, account_id=account_id, masked=True, today=date(2026, 11, 22))
    masked = str(asdict(masked_view))
    for name, secret in SECRETS.items():
        assert secret in plain, name  # the unmasked view has it: the check below can fail
        assert secret not in masked, f"{name} shown to executives"
    assert "Anna Smith" not in masked and "anna@acme.example" not in masked
    assert masked_view.account["owner"] == "O. O." and masked_view.contacts[0]["job_title"] == "•••"
    assert masked_view.payments[0]["amount"] == 1000  # figures stay
