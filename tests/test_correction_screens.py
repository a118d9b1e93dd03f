"""The correction approvals screen without AppTest: the queue oldest first, how long each has waited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from dashboard.billing.corrections.screens import QUEUE_COLUMNS, approvals_screen
from dashboard.presentation.columns import csv_frame, display_text
from models import Account, BillingCorrection
from models.billing import CorrectionStatus

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _correction(
    key: str, requested_at: datetime, status: str = CorrectionStatus.PENDING_APPROVAL
) -> BillingCorrection:
    return BillingCorrection(
        kind="refund",
        status=status,
        account_id=1,
        amount=3000,
        currency="eur",
        reason_category="billing_error",
        reason_text="Charged twice",
        idempotency_key=key,
        requested_by="am@example.com",
        requested_at=requested_at,
    )


def test_the_queue_is_oldest_first_with_its_wait(session: Session) -> None:
    session.add(Account(id=1, company_name="Acme", zendesk_subdomain="acme"))
    session.add_all(
        [
            _correction("k-new", NOW - timedelta(minutes=45)),
            _correction("k-old", NOW - timedelta(days=3, hours=4, minutes=10)),
            _correction("k-mid", NOW - timedelta(hours=5, minutes=30)),
            _correction("k-done", NOW - timedelta(days=9), status=CorrectionStatus.EXECUTED),
        ]
    )
    session.commit()
    screen = approvals_screen(session, now=NOW)
    assert [row["idempotency_key"] for row in screen.queue] == ["k-old", "k-mid", "k-new"]  # executed: gone
    assert [row["waited"] for row in screen.queue] == [
        timedelta(days=3, hours=4, minutes=10),
        timedelta(hours=5, minutes=30),
        timedelta(minutes=45),
    ]
    assert screen.longest_wait == timedelta(days=3, hours=4, minutes=10)
    shown = [display_text(v, QUEUE_COLUMNS["waited"]) for v in screen.rows["waited"]]
    assert shown == ["3 d 4 h", "5 h 30 min", "45 min"]
    exported = csv_frame(screen.rows, QUEUE_COLUMNS)
    assert list(exported["Waiting for (seconds)"]) == [274_200, 19_800, 2_700]
    assert list(exported["Amount"]) == ["30.00", "30.00", "30.00"]  # EUR, the row's own currency
    assert list(exported["Company"]) == ["Acme"] * 3


def test_an_empty_queue(session: Session) -> None:
    screen = approvals_screen(session, now=NOW)
    assert screen.queue == [] and screen.longest_wait is None and screen.rows.empty
