"""The keyed audit chain and its checkpoints outside the store: what tampering each one detects."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from dashboard.access.identity import Actor
from dashboard.core import audit, audit_checkpoints
from dashboard.core.errors import ValidationError
from dashboard.core.settings import get_settings
from models import AuditEvent

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
    """A forger who holds the key and fixes up the altered row's own hash is still caught by the row
    after it."""
    from models import AuditEvent

    _write_rows(session, 5)
    row = session.get(AuditEvent, 3)
    row.details = {"n": "forged"}
    row.row_hash = audit._row_digest(row, audit.audit_key())
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


def _rechain_from(session: Session, first_id: int, key: bytes, forge) -> None:
    """Rewrite rows from `first_id` on with `forge(row)` and recompute every hash after it with `key`."""
    from models import AuditChainHead, AuditEvent

    rows = session.exec(select(AuditEvent).where(AuditEvent.id >= first_id).order_by(AuditEvent.id)).all()
    prev = session.get(AuditEvent, first_id - 1).row_hash if first_id > 1 else audit.GENESIS_HASH
    for row in rows:
        if row.id == first_id:
            forge(row)
        row.prev_hash = prev
        row.row_hash = audit._row_digest(row, key)
        prev = row.row_hash
        session.add(row)
    head = session.get(AuditChainHead, 1)
    head.last_hash = prev
    session.add(head)
    session.commit()


def test_the_chain_is_keyed_with_the_audit_key(session: Session) -> None:
    _write_rows(session, 1)
    row = session.exec(select(AuditEvent)).one()
    plain = AuditEvent.model_validate(row.model_dump())
    assert row.row_hash == audit._row_digest(plain, get_settings().keys.audit_key)
    assert row.row_hash != audit._row_digest(plain, b"another key")


def test_rechaining_without_the_audit_key_is_detected(session: Session) -> None:
    """Someone with write access to the store but not AUDIT_KEY rewrites row 3 and re-chains after it."""
    _write_rows(session, 5)
    _rechain_from(session, 3, b"guessed key", lambda row: setattr(row, "details", {"n": "forged"}))
    report = audit.verify_chain(session)
    assert report.broken_at_id == 3 and "altered" in report.problem


def _checkpoint(session: Session, path: Path) -> None:
    audit_checkpoints.append_checkpoint(
        path, audit_checkpoints.current_checkpoint(session, at=datetime(2026, 12, 1, tzinfo=UTC))
    )


def _truncate_to(session: Session, last_kept: int) -> None:
    """Delete the rows after `last_kept` and rewind the head to it: the chain alone still verifies."""
    session.execute(text("DELETE FROM audit_events WHERE id > :id"), {"id": last_kept})
    kept = session.execute(text("SELECT row_hash FROM audit_events WHERE id = :id"), {"id": last_kept})
    session.execute(
        text("UPDATE audit_chain_head SET last_id = :id, last_hash = :hash"),
        {"id": last_kept, "hash": kept.scalar_one()},
    )
    session.commit()


def test_truncation_with_a_rewound_head_passes_the_chain_but_not_the_checkpoint(session, tmp_path) -> None:
    path = tmp_path / "checkpoints.jsonl"
    _write_rows(session, 5)
    _checkpoint(session, path)
    assert audit_checkpoints.check_checkpoints(session, audit_checkpoints.read_checkpoints(path)) is None
    _truncate_to(session, 3)
    assert audit.verify_chain(session).ok  # what the chain alone cannot see
    problem = audit_checkpoints.check_checkpoints(session, audit_checkpoints.read_checkpoints(path))
    assert problem.startswith("row 5, the head at the checkpoint of 2026-12-01") and "removed" in problem


def test_deleting_everything_is_detected_by_the_checkpoint(session, tmp_path) -> None:
    path = tmp_path / "checkpoints.jsonl"
    _write_rows(session, 3)
    _checkpoint(session, path)
    session.execute(text("DELETE FROM audit_events"))
    session.execute(text("DELETE FROM audit_chain_head"))
    session.commit()
    assert audit.verify_chain(session).ok  # an empty store verifies on its own
    assert "row 3" in audit_checkpoints.check_checkpoints(session, audit_checkpoints.read_checkpoints(path))


def test_rechaining_with_the_key_is_detected_up_to_the_newest_checkpoint(session, tmp_path) -> None:
    path = tmp_path / "checkpoints.jsonl"
    _write_rows(session, 4)
    _checkpoint(session, path)
    _write_rows(session, 2)  # rows 5 and 6, after the checkpoint
    _rechain_from(session, 2, audit.audit_key(), lambda row: setattr(row, "actor", "mallory@example.com"))
    assert audit.verify_chain(session).ok  # the key holder's re-chain is consistent
    problem = audit_checkpoints.check_checkpoints(session, audit_checkpoints.read_checkpoints(path))
    assert problem.startswith("row 4 no longer has the hash") and "re-chained" in problem


def test_a_checkpoint_line_altered_or_signed_with_another_key_is_refused(session, tmp_path) -> None:
    path = tmp_path / "checkpoints.jsonl"
    _write_rows(session, 2)
    _checkpoint(session, path)
    line = json.loads(path.read_text())
    path.write_text(path.read_text() + json.dumps({**line, "last_id": 1}) + "\n")
    with pytest.raises(ValidationError, match="Checkpoint line 2 is not signed"):
        audit_checkpoints.read_checkpoints(path)
    path.write_text("not json\n")
    with pytest.raises(ValidationError, match="Checkpoint line 1 is not a checkpoint"):
        audit_checkpoints.read_checkpoints(path)


def test_checkpoint_lines_are_appended_with_a_mac_over_the_head(session, tmp_path) -> None:
    path = tmp_path / "checkpoints.jsonl"
    _write_rows(session, 2)
    _checkpoint(session, path)
    _write_rows(session, 1)
    _checkpoint(session, path)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["last_id"] for line in lines] == [2, 3]
    signing = hmac.new(audit.audit_key(), b"apps-console/audit-checkpoint/v1", hashlib.sha256).digest()
    payload = f"{lines[1]['at']}|3|{lines[1]['last_hash']}".encode()
    assert lines[1]["mac"] == hmac.new(signing, payload, hashlib.sha256).hexdigest()
