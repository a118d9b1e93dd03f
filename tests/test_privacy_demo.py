"""The privacy demo step: every case on screen, relative to `now`, and the same data every time."""

import shutil
from datetime import UTC, datetime

from sqlmodel import Session, select

from dashboard.core.db import make_engine
from dashboard.demo import seed_demo
from dashboard.demo.privacy import DEMO_JURISDICTIONS
from dashboard.privacy.queue import urgency
from dashboard.privacy.states import STATUS_LABELS
from models import PrivacyRequest, PrivacyRequestEvent
from models.privacy import REQUEST_TYPES

NOW = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)


def test_demo_covers_every_type_status_and_deadline_case(engine) -> None:
    seed_demo(engine, "small", now=NOW)
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


def test_demo_is_deterministic_for_the_same_now(tmp_path, sqlite_template) -> None:
    snapshots = []
    for name in ("one", "two"):
        path = tmp_path / f"{name}.sqlite3"
        shutil.copy(sqlite_template, path)
        engine = make_engine(f"sqlite:///{path}")
        seed_demo(engine, "small", now=NOW)
        with Session(engine) as session:
            snapshots.append(
                [
                    (r.id, r.type, r.status, r.subject_email, r.due_on, r.completed_at)
                    for r in session.exec(select(PrivacyRequest).order_by(PrivacyRequest.id))
                ]
            )
        engine.dispose()
    assert snapshots[0] == snapshots[1]
