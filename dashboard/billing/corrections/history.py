"""Listing corrections: the approvals queue and the filtered history (plain rows for tables)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from models import Account, BillingCorrection
from models.billing import CorrectionStatus

HISTORY_LIMIT = 5000
COLUMNS = (
    "id",
    "kind",
    "status",
    "account_id",
    "company",
    "amount",
    "currency",
    "amount_reporting",
    "reason_category",
    "reason_text",
    "requested_by",
    "requested_at",
    "decided_by",
    "decided_at",
    "decision_reason",
    "executed_at",
    "attempts",
    "stripe_result_id",
    "error_message",
    "version",
)


@dataclass(frozen=True)
class HistoryFilters:
    statuses: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    account_id: int | None = None
    requested_by: str = ""
    since: date | None = None  # requested on or after (UTC day)
    until: date | None = None  # requested on or before (UTC day)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def list_corrections(
    session: Session, *, filters: HistoryFilters, limit: int = HISTORY_LIMIT
) -> list[dict[str, Any]]:
    """Newest first, with the account's company name."""
    query = select(BillingCorrection, Account.company_name).join(
        Account, col(Account.id) == col(BillingCorrection.account_id), isouter=True
    )
    if filters.statuses:
        query = query.where(col(BillingCorrection.status).in_(filters.statuses))
    if filters.kinds:
        query = query.where(col(BillingCorrection.kind).in_(filters.kinds))
    if filters.account_id is not None:
        query = query.where(BillingCorrection.account_id == filters.account_id)
    if filters.requested_by.strip():
        query = query.where(
            col(BillingCorrection.requested_by).contains(filters.requested_by.strip().lower())
        )
    if filters.since:
        query = query.where(col(BillingCorrection.requested_at) >= _start_of(filters.since))
    if filters.until:
        query = query.where(
            col(BillingCorrection.requested_at) < _start_of(filters.until + timedelta(days=1))
        )
    rows = session.exec(
        query.order_by(col(BillingCorrection.requested_at).desc(), col(BillingCorrection.id).desc()).limit(
            limit
        )
    )
    return [
        {**correction.model_dump(include=set(COLUMNS)), "company": company} for correction, company in rows
    ]


def approval_queue(session: Session) -> list[dict[str, Any]]:
    """Corrections waiting for a decision, oldest first (with the preview and parameters to judge by)."""
    rows = session.exec(
        select(BillingCorrection, Account.company_name)
        .join(Account, col(Account.id) == col(BillingCorrection.account_id), isouter=True)
        .where(BillingCorrection.status == CorrectionStatus.PENDING_APPROVAL)
        .order_by(BillingCorrection.requested_at, BillingCorrection.id)
    )
    return [{**correction.model_dump(), "company": company} for correction, company in rows]
