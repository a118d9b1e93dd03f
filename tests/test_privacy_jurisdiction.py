"""Jurisdiction suggestion from what the store knows, and the officer's audited override."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from dashboard.core.errors import ValidationError
from dashboard.privacy import jurisdiction as j
from dashboard.privacy import requests
from models import Account, AuditEvent, PrivacyRequestEvent
from tests.privacy_helpers import TODAY, add_account_with_contact, new_request


@pytest.mark.parametrize(
    ("country", "region", "expected"),
    [
        ("TR", "", "kvkk"),
        ("tr", "", "kvkk"),
        ("DE", "", "eu_gdpr"),
        ("NO", "", "eu_gdpr"),  # EEA
        ("GB", "", "uk_gdpr"),
        ("US", "CO", "co_cpa"),
        ("US", "ca", "ccpa"),
        ("US", "IA", "ia_icdpa"),
        ("US", "RI", "ri_dtppa"),
        ("CA", "QC", "qc_law25"),
        ("CA", "ON", "pipeda"),
        ("CA", "", "pipeda"),
        ("CH", "", "ch_nfadp"),
        ("AU", "", "au_privacy"),
        ("SG", "", "sg_pdpa"),
        ("BR", "", "lgpd"),
    ],
)
def test_location_to_rule(country: str, region: str, expected: str, session: Session) -> None:
    found = j.suggest(session, subject_country=country, subject_region=region)
    assert found.jurisdiction == expected
    assert found.has_basis


def test_unknown_places_and_nothing_known_fall_back_to_other(session: Session) -> None:
    assert j.suggest(session, subject_country="US").jurisdiction == "other"  # no state: no law named
    assert j.suggest(session, subject_country="US", subject_region="WY").jurisdiction == "other"
    nothing = j.suggest(session)
    assert (nothing.jurisdiction, nothing.basis, nothing.has_basis) == ("other", j.Basis.NOTHING, False)


def test_bad_codes_are_refused(session: Session) -> None:
    for country, region, field in (("Turkey", "", "subject_country"), ("US", "Colorado", "subject_region")):
        with pytest.raises(ValidationError) as error:
            j.suggest(session, subject_country=country, subject_region=region)
        assert error.value.field == field
    with pytest.raises(ValidationError):
        j.suggest(session, subject_region="CO")


def test_falls_back_to_the_contacts_account_then_the_client_account(session: Session) -> None:
    contact = add_account_with_contact(session)
    account = session.get(Account, contact.account_id)
    account.country = "TR"
    session.add(account)
    client = Account(company_name="Client", zendesk_subdomain="client1", country="CH")
    session.add(client)
    session.commit()
    by_contact = j.suggest(session, subject_email="MARIA.COSTA@acme.example")
    assert (by_contact.jurisdiction, by_contact.basis) == ("kvkk", j.Basis.CONTACT_ACCOUNT)
    by_client = j.suggest(
        session, subject_email="end.user@x.example", account_id=client.id, is_processor=True
    )
    assert (by_client.jurisdiction, by_client.basis) == ("ch_nfadp", j.Basis.CLIENT_ACCOUNT)
    # The subject's own state beats the account's country.
    own = j.suggest(session, subject_country="US", subject_region="TX", subject_email=contact.email)
    assert own.jurisdiction == "tx_tdpsa"
    assert "Texas TDPSA" in own.explanation and "US-TX" in own.explanation


def test_intake_takes_the_suggestion(session: Session, make_user) -> None:
    actor = make_user("privacy_officer")
    request = new_request(session, actor, jurisdiction=None, subject_country="US", subject_region="CO")
    assert (request.jurisdiction, request.suggested_jurisdiction) == ("co_cpa", "co_cpa")
    assert request.due_on == date(2026, 4, 16)  # 2 March + 45 days
    assert request.jurisdiction_reason is None


def test_override_needs_a_reason_and_is_audited(session: Session, make_user) -> None:
    actor = make_user("privacy_officer")
    with pytest.raises(ValidationError) as error:
        new_request(session, actor, jurisdiction="tx_tdpsa", subject_country="US", subject_region="CO")
    assert error.value.field == "jurisdiction_reason"
    session.rollback()
    assert not session.exec(select(AuditEvent).where(AuditEvent.action == "privacy_request_created")).all()
    request = new_request(
        session,
        actor,
        jurisdiction="tx_tdpsa",
        subject_country="US",
        subject_region="CO",
        jurisdiction_reason="Lives in Austin since January; Colorado address is old.",
    )
    assert (request.jurisdiction, request.suggested_jurisdiction) == ("tx_tdpsa", "co_cpa")
    assert request.jurisdiction_reason.startswith("Lives in Austin")
    row = session.exec(select(AuditEvent).where(AuditEvent.action == "privacy_request_created")).one()
    assert row.details["suggested_jurisdiction"] == "co_cpa"
    assert row.details["jurisdiction"] == "tx_tdpsa"
    assert row.details["jurisdiction_override_reason"].startswith("Lives in Austin")


def test_no_reason_needed_when_nothing_was_known(session: Session, make_user) -> None:
    request = new_request(session, make_user("privacy_officer"), jurisdiction="eu_gdpr")
    assert request.suggested_jurisdiction == "other" and request.jurisdiction_reason is None


def test_change_jurisdiction_later_recounts_the_deadline_with_a_reason(session: Session, make_user) -> None:
    actor = make_user("privacy_officer")
    request = new_request(session, actor, jurisdiction=None, subject_country="TR")
    assert request.due_on == date(2026, 4, 1)  # KVKK: 2 March + 30 days
    with pytest.raises(ValidationError) as error:
        requests.change_jurisdiction(
            session,
            actor,
            request_id=request.id,
            expected_version=request.version,
            jurisdiction="eu_gdpr",
            reason="",
        )
    assert error.value.field == "jurisdiction_reason"
    changed = requests.change_jurisdiction(
        session,
        actor,
        request_id=request.id,
        expected_version=request.version,
        jurisdiction="eu_gdpr",
        reason="Subject lives in Berlin; the Turkish address was the company's.",
    )
    session.commit()
    assert (changed.jurisdiction, changed.due_on) == ("eu_gdpr", date(2026, 4, 2))
    audit = session.exec(
        select(AuditEvent).where(AuditEvent.action == "privacy_request_jurisdiction_changed")
    ).one()
    assert audit.details["from"] == "kvkk" and audit.details["to"] == "eu_gdpr"
    assert audit.details["reason"].startswith("Subject lives in Berlin")
    event = session.exec(
        select(PrivacyRequestEvent).where(PrivacyRequestEvent.kind == "jurisdiction_changed")
    ).one()
    assert "Türkiye KVKK → EU GDPR" in event.text
    assert TODAY  # the helper's today is the intake's today


# --- the pages -------------------------------------------------------------------------------------------

INTAKE = "app_pages/privacy_intake.py"
QUEUE = "app_pages/privacy_requests.py"


def _intake(at, jurisdiction: str, reason: str = ""):
    at.text_input("intake_name").set_value("Deniz Yılmaz")
    at.text_input("intake_email").set_value("deniz@example.com")
    at.text_input("intake_country").set_value("US")
    at.text_input("intake_region").set_value("CO")
    at.selectbox("intake_jurisdiction").set_value(jurisdiction)
    at.text_input("intake_jurisdiction_reason").set_value(reason)
    at.button[0].click()
    return at.run()


def test_intake_page_suggests_and_refuses_an_override_without_reason(run_page, make_user, session) -> None:
    at = run_page(INTAKE, make_user("privacy_officer"))
    at = _intake(at, "tx_tdpsa")
    assert not at.exception
    assert any("Suggested: Colorado CPA, from the subject's state" in e.value for e in at.error)
    at = _intake(at, "tx_tdpsa", "Moved to Austin in 2026.")
    assert not at.exception and not at.error
    assert any(
        "Suggested was Colorado CPA; chosen instead because: Moved to Austin" in i.value for i in at.info
    )


def test_intake_page_takes_the_suggestion(run_page, make_user, session) -> None:
    at = run_page(INTAKE, make_user("privacy_officer"))
    at = _intake(at, "")
    assert not at.exception and not at.error
    assert any("Jurisdiction: Colorado CPA" in i.value and "As suggested" in i.value for i in at.info)


def test_detail_view_changes_the_jurisdiction_with_a_reason(run_page, make_user, session) -> None:
    officer = make_user("privacy_officer")
    request = new_request(session, officer, jurisdiction=None, subject_country="TR")
    at = run_page(QUEUE, officer, query={"id": str(request.id)})
    assert not at.exception
    at.selectbox(f"jurisdiction_to_{request.id}").set_value("eu_gdpr")
    at.text_area(f"jurisdiction_reason_{request.id}").set_value("Lives in Berlin.")
    form_button = next(b for b in at.button if b.label == "Change jurisdiction")
    form_button.click()
    at = at.run()
    assert not at.exception and not at.error
    session.expire_all()
    stored = session.get(type(request), request.id)
    assert (stored.jurisdiction, stored.jurisdiction_reason) == ("eu_gdpr", "Lives in Berlin.")
