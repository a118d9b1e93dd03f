"""Which law a request most likely falls under, from what the store knows about the subject.

The suggestion is only a starting point: the officer may choose another jurisdiction, with a reason
that goes on the timeline and the audit row (`requests.create_request`, `requests.change_jurisdiction`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import Session, select

from dashboard.core.errors import ValidationError
from dashboard.privacy.deadlines import RULES
from models import Account, Contact


class Basis(StrEnum):
    SUBJECT_REGION = "subject_region"  # the subject's US state or province
    SUBJECT_COUNTRY = "subject_country"
    CONTACT_ACCOUNT = "contact_account"  # the country of the account the subject is a contact of
    CLIENT_ACCOUNT = "client_account"  # the client whose Zendesk the end user is in
    NOTHING = "nothing"


BASIS_LABELS = {
    Basis.SUBJECT_REGION: "the subject's state or province",
    Basis.SUBJECT_COUNTRY: "the subject's country",
    Basis.CONTACT_ACCOUNT: "the country of the subject's company account",
    Basis.CLIENT_ACCOUNT: "the client account's country",
    Basis.NOTHING: "nothing known about where the subject is",
}

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_REGION = re.compile(r"^[A-Z0-9]{1,3}$")


@dataclass(frozen=True)
class Suggestion:
    jurisdiction: str
    basis: Basis
    where: str  # e.g. "US-CO", "DE", "" when nothing is known

    @property
    def explanation(self) -> str:
        label = RULES[self.jurisdiction].label
        if self.basis is Basis.NOTHING:
            return f"{label}: {BASIS_LABELS[self.basis]}."
        return f"{label}, from {BASIS_LABELS[self.basis]} ({self.where})."

    @property
    def has_basis(self) -> bool:
        return self.basis is not Basis.NOTHING


def clean_location(country: str, region: str) -> tuple[str, str]:
    """Upper-cased ISO country and state/province codes; ValidationError on anything else."""
    country = (country or "").strip().upper()
    region = (region or "").strip().upper()
    if country and not _COUNTRY.match(country):
        raise ValidationError(
            "Enter the country as a two-letter code, e.g. DE, US, TR.", field="subject_country"
        )
    if region and not _REGION.match(region):
        raise ValidationError(
            "Enter the state or province as its code, e.g. CO, TX, QC.", field="subject_region"
        )
    if region and not country:
        raise ValidationError("Enter the country the state or province is in.", field="subject_country")
    return country, region


def for_location(country: str, region: str = "") -> str | None:
    """The rule for a place, or None when no rule names it (the US without a state is None)."""
    country, region = country.upper(), region.upper()
    for key, rule in RULES.items():
        if region and f"{country}-{region}" in rule.regions:
            return key
        if country == "US" and region and region in rule.us_states:
            return key
    for key, rule in RULES.items():
        if country in rule.countries:
            return key
    return None


def suggest(
    session: Session,
    *,
    subject_country: str = "",
    subject_region: str = "",
    subject_email: str = "",
    account_id: int | None = None,
    is_processor: bool = False,
) -> Suggestion:
    """The most specific thing known wins: the subject's state, their country, then their account's."""
    country, region = clean_location(subject_country, subject_region)
    if country and region:
        found = for_location(country, region)
        if found:
            return Suggestion(found, Basis.SUBJECT_REGION, f"{country}-{region}")
    if country:
        found = for_location(country)
        if found:
            return Suggestion(found, Basis.SUBJECT_COUNTRY, country)
        return Suggestion("other", Basis.SUBJECT_COUNTRY, f"{country}-{region}" if region else country)
    if not is_processor and subject_email:
        account_country = session.exec(
            select(Account.country)
            .join(Contact, Contact.account_id == Account.id)
            .where(func.lower(Contact.email) == subject_email.strip().lower())
            .order_by(Contact.id)
            .limit(1)
        ).first()
        if account_country:
            return Suggestion(
                for_location(account_country) or "other", Basis.CONTACT_ACCOUNT, account_country
            )
    if account_id is not None:
        account = session.get(Account, account_id)
        if account is not None and account.country:
            return Suggestion(
                for_location(account.country) or "other", Basis.CLIENT_ACCOUNT, account.country.upper()
            )
    return Suggestion("other", Basis.NOTHING, "")


def jurisdiction_note(request: object) -> str:
    """One line for the officer: the law the request is under, the suggestion and any override reason."""
    chosen = request.jurisdiction
    suggested = getattr(request, "suggested_jurisdiction", None)
    reason = getattr(request, "jurisdiction_reason", None)
    text = f"Jurisdiction: {RULES[chosen].label} ({RULES[chosen].citation})."
    if suggested and suggested != chosen:
        text += f" Suggested was {RULES[suggested].label}; chosen instead because: {reason or '—'}"
    elif suggested:
        text += " As suggested."
    return text
