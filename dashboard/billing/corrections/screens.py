"""The correction pages' screens: what each shows, computed once (no Streamlit here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlmodel import Session

from dashboard.billing.corrections.history import approval_queue
from dashboard.billing.corrections.kinds import KIND_LABELS
from dashboard.presentation.columns import Column, Columns, Kind

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
