"""The privacy demo step: every case on screen, relative to `now`, and the same data every time
(`tests/test_demo.py` checks that every table is the same for the same seed and `now`)."""

from sqlmodel import Session, select

from dashboard.demo.privacy import DEMO_JURISDICTIONS
from dashboard.privacy.queue import urgency
from dashboard.privacy.states import STATUS_LABELS
from models import PrivacyRequest, PrivacyRequestEvent
from models.privacy import REQUEST_TYPES
from tests.demo_template import DEMO_NOW as NOW


def test_demo_covers_every_type_status_and_deadline_case(engine, demo_templates) -> None:
    demo_templates.seed(engine, now=NOW)
    with Session(engine) as session:
        rows = session.exec(select(PrivacyRequest)).all()
        events = session.exec(select(PrivacyRequestEvent)).all()
    assert {(r.type, r.status) for r in rows} >= {(t, s) for t in REQUEST_TYPES for s in STATUS_LABELS}
    assert {r.jurisdiction for r in rows} == set(DEMO_JURISDICTIONS)
    levels = [urgency(r.due_on, today=NOW.date(), status=r.status).label for r in rows]
    assert "due today" in levels and any(label.startswith("overdue") for label in levels)
    processor = [r for r in rows if r.is_processor]
    assert any(r.client_instruction for r in processor)
    assert any(r.status == "awaiting_client" and not r.client_instruction for r in processor)
    assert all(r.denial_reason for r in rows if r.status == "denied")
    assert not any(r.status == "awaiting_client" and not r.is_processor for r in rows)
    assert len(events) >= len(rows)
