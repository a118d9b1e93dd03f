from sqlalchemy import text
from sqlmodel import Session

from dashboard import audit
from dashboard.identity import Actor

ALICE = Actor(email="alice@example.com", role="admin", user_id=1)


def _write_rows(session: Session, n: int) -> None:
    for i in range(n):
        audit.record(session, ALICE, "thing_done", target_type="thing", target_id=i, details={"n": i})
    session.commit()


def test_intact_chain_verifies(session: Session) -> None:
    _write_rows(session, 5)
    report = audit.verify_chain(session)
    assert report.ok and report.rows_checked == 5


def test_altered_row_is_detected(session: Session) -> None:
    _write_rows(session, 5)
    session.execute(text("UPDATE audit_events SET actor = 'mallory@example.com' WHERE id = 3"))
    session.commit()
    report = audit.verify_chain(session)
    assert report.broken_at_id == 3
    assert "altered" in report.problem


def test_deleted_middle_row_is_detected(session: Session) -> None:
    _write_rows(session, 5)
    session.execute(text("DELETE FROM audit_events WHERE id = 2"))
    session.commit()
    assert audit.verify_chain(session).broken_at_id == 2


def test_deleted_last_row_is_detected(session: Session) -> None:
    _write_rows(session, 5)
    session.execute(text("DELETE FROM audit_events WHERE id = 5"))
    session.commit()
    report = audit.verify_chain(session)
    assert report.broken_at_id == 5
    assert "removed" in report.problem


def test_audit_row_rolls_back_with_its_change(session: Session) -> None:
    _write_rows(session, 1)
    audit.record(session, ALICE, "never_committed")
    session.rollback()
    report = audit.verify_chain(session)
    assert report.ok and report.rows_checked == 1


def test_rewritten_row_with_a_recomputed_hash_breaks_the_next_link(session: Session) -> None:
    """A forger who fixes up the altered row's own hash is still caught by the row after it."""
    from models import AuditEvent

    _write_rows(session, 5)
    row = session.get(AuditEvent, 3)
    row.details = {"n": "forged"}
    row.row_hash = audit._row_digest(row)
    session.add(row)
    session.commit()
    report = audit.verify_chain(session)
    assert report.broken_at_id == 4
    assert "does not link" in report.problem


def test_emptied_log_is_detected(session: Session) -> None:
    _write_rows(session, 3)
    session.execute(text("DELETE FROM audit_events"))
    session.commit()
    report = audit.verify_chain(session)
    assert not report.ok and report.broken_at_id == 1


def test_each_row_links_to_the_hash_of_the_row_before(session: Session) -> None:
    _write_rows(session, 2)
    third = audit.record(session, ALICE, "later")
    session.commit()
    assert third.id == 3
    second_hash = session.execute(text("SELECT row_hash FROM audit_events WHERE id = 2")).scalar_one()
    assert third.prev_hash == second_hash
