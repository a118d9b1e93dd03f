"""A link that opens the intake form filled in: `?account=<id>&email=<subject's email>&kind=<request type>`.

Account 360's "Log a privacy request" links here for one of the account's contacts. Each parameter is
checked on its own; one that names nothing (not an id, no such account, not an email address, no such
request type) is left out of the form and said so. Nothing is written: the person logging the request
still reads the form and submits it, and the request records who did (`requests.create_request`).
The subject's name is not in the link: it is the account's contact with that email, if there is one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from dashboard.access.users import normalise_email
from dashboard.core.errors import ValidationError
from dashboard.core.ids import parse_id
from dashboard.privacy.requests import TYPE_LABELS
from models import Account, Contact

PARAMETERS = ("account", "email", "kind")


@dataclass(frozen=True)
class IntakePrefill:
    """What the link fills in; `ignored` says, per parameter left out, why."""

    account_id: int | None = None
    email: str = ""
    name: str = ""
    type: str | None = None
    ignored: list[str] = field(default_factory=list)


def intake_link(account_id: int, email: str, kind: str | None = None) -> dict[str, str]:
    """The intake page's query parameters for a request about `email`, a contact of the account."""
    return {"account": str(account_id), "email": email, **({"kind": kind} if kind else {})}


def link_parameters(query: Mapping[str, str]) -> dict[str, str]:
    """The intake's own parameters in an address (others are not the link's)."""
    return {name: query[name] for name in PARAMETERS if name in query}


def intake_prefill(session: Session, link: Mapping[str, str]) -> IntakePrefill:
    ignored: list[str] = []
    account_id = _account(session, link.get("account"), ignored)
    email = _email(link.get("email"), ignored)
    kind = link.get("kind")
    if kind is not None and kind not in TYPE_LABELS:
        ignored.append(
            "The link's request type is not one of "
            + ", ".join(TYPE_LABELS.values())
            + ": choose the type below."
        )
        kind = None
    return IntakePrefill(account_id, email, _contact_name(session, account_id, email), kind, ignored)


def _account(session: Session, raw: str | None, ignored: list[str]) -> int | None:
    if raw is None:
        return None
    account_id = parse_id(raw)
    if account_id is None:
        ignored.append("The link's account is not an account number: the client account is left empty.")
    elif session.get(Account, account_id) is None:
        ignored.append(f"The link names account #{account_id}, which does not exist: it is left empty.")
        account_id = None
    return account_id


def _email(raw: str | None, ignored: list[str]) -> str:
    if raw is None:
        return ""
    try:
        return normalise_email(raw)
    except ValidationError:
        ignored.append("The link's email is not a valid email address: the subject's email is left empty.")
        return ""


def _contact_name(session: Session, account_id: int | None, email: str) -> str:
    if not email:
        return ""
    query = select(Contact.name).where(
        func.lower(Contact.email) == email, col(Contact.anonymized_at).is_(None)
    )
    if account_id is not None:
        query = query.where(Contact.account_id == account_id)
    return session.exec(query.order_by(Contact.id).limit(1)).first() or ""
