"""The correction pages' screens: what each shows, computed once (no Streamlit here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlmodel import Session

from dashboard.billing.corrections.history import HistoryFilters, approval_queue, list_corrections
from dashboard.billing.corrections.kinds import KIND_LABELS
from dashboard.billing.corrections.rules import OUTSTANDING, REASON_CATEGORIES, STATUS_LABELS
from dashboard.presentation.columns import Column, Columns, Kind
from dashboard.zendesk.installations import account_link
from models.billing import CorrectionStatus

QUEUE_COLUMNS: Columns = {
    "id": Column("#", Kind.COUNT),
    "kind_label": Column("Kind"),
    "company": Column("Company"),
    "amount": Column("Amount", Kind.MONEY, currency_column="currency"),
    "requested_by": Column("Requested by"),
    "requested_at": Column("Requested", Kind.DATETIME),
    "waited": Column("Waiting for", Kind.DURATION, help="Since it was requested"),
}


@dataclass(frozen=True)
class ApprovalsScreen:
    queue: list[dict[str, Any]]  # oldest first, each with `waited` (a timedelta)
    rows: pd.DataFrame  # the queue as a table (QUEUE_COLUMNS)

    @property
    def longest_wait(self) -> timedelta | None:
        return self.queue[0]["waited"] if self.queue else None


def approvals_screen(session: Session, *, now: datetime) -> ApprovalsScreen:
    """Corrections waiting for a decision, oldest first, with how long each has waited at `now`."""
    queue = [{**row, "waited": now - row["requested_at"]} for row in approval_queue(session)]
    queue.sort(key=lambda row: (row["requested_at"], row["id"]))
    rows = pd.DataFrame(
        [{**row, "kind_label": KIND_LABELS[row["kind"]]} for row in queue],
        columns=[*QUEUE_COLUMNS, "currency"],
    )
    return ApprovalsScreen(queue=queue, rows=rows)


def history_columns(reporting_currency: str) -> Columns:
    """The history table: labels for kinds, statuses and reasons; the CSV keeps their machine names."""
    return {
        "id": Column("#", Kind.COUNT),
        "requested_at": Column("Requested", Kind.DATETIME),
        "kind": Column("Kind", Kind.ENUM, labels=KIND_LABELS),
        "status": Column("Status", Kind.ENUM, labels=STATUS_LABELS),
        "company": Column("Company"),
        "account_link": Column("Account", Kind.LINK, link_text="Open", help="Open the account page"),
        "amount": Column("Amount", Kind.MONEY, currency_column="currency"),
        "currency": Column("Currency", Kind.TEXT),
        "amount_reporting": Column("In reporting currency", Kind.MONEY, currency=reporting_currency),
        "reason_category": Column("Reason", Kind.ENUM, labels=REASON_CATEGORIES),
        "reason_text": Column("Details"),
        "requested_by": Column("Requested by"),
        "decided_by": Column("Decided by"),
        "decision_reason": Column("Decision reason"),
        "executed_at": Column("Executed", Kind.DATETIME),
        "attempts": Column("Attempts", Kind.COUNT),
        "stripe_result_id": Column("Stripe id"),
        "error_message": Column("Error"),
    }


@dataclass(frozen=True)
class CorrectionHistoryScreen:
    rows: pd.DataFrame  # newest first, `columns`
    columns: Columns
    unsettled: list[dict[str, Any]]  # sending or unknown: still being looked for in Stripe
    failed: list[int]  # ids that may be retried, newest first


def correction_history_screen(
    session: Session, filters: HistoryFilters, *, reporting_currency: str
) -> CorrectionHistoryScreen:
    """Every correction the filters match (newest first), those still unsettled, those to retry."""
    found = list_corrections(session, filters=filters)
    columns = history_columns(reporting_currency)
    rows = pd.DataFrame(found, columns=[*(name for name in columns if name != "account_link"), "account_id"])
    rows["account_link"] = rows["account_id"].map(account_link)
    return CorrectionHistoryScreen(
        rows=rows,
        columns=columns,
        unsettled=[row for row in found if row["status"] in OUTSTANDING],
        failed=[row["id"] for row in found if row["status"] == CorrectionStatus.FAILED],
    )
