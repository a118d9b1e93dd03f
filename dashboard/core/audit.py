"""The append-only audit log, a keyed hash chain: an altered, inserted or missing row is detected.

Each row's `row_hash` is HMAC-SHA256 with `AUDIT_KEY` (kept outside the store) over its content and the
previous row's hash, so someone who can write to the store but does not hold the key cannot forge or
re-chain rows. Truncation from the end is caught by checkpoints kept outside the store
(`dashboard.core.audit_checkpoints`). `record()` adds its row to the caller's session: it commits (or rolls
back) with the change it records.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from dashboard.access.identity import Actor
from dashboard.core.settings import get_settings
from models import AuditChainHead, AuditEvent
from models.types import utcnow

GENESIS_HASH = "0" * 64


def audit_key() -> bytes:
    return get_settings().keys.audit_key


CHAINED_FIELDS = (
    "id",
    "at",
    "actor",
    "actor_role",
    "action",
    "target_type",
    "target_id",
    "account_id",
    "details",
    "prev_hash",
)


def _digest(content: dict[str, Any], key: bytes) -> str:
    fields = {name: content[name] for name in CHAINED_FIELDS}
    fields["at"] = fields["at"].isoformat()
    blob = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(key, blob.encode(), hashlib.sha256).hexdigest()


def _row_digest(event: AuditEvent, key: bytes) -> str:
    return _digest({name: getattr(event, name) for name in CHAINED_FIELDS}, key)


def _locked_head(session: Session) -> AuditChainHead:
    head = session.exec(select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()).first()
    if head is None:
        head = AuditChainHead(id=1, last_id=0, last_hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    return head


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    target_type: str = "",
    target_id: str | int = "",
    account_id: int | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Add one audit row to `session`, chained to the previous one. Never pass secrets in details."""
    head = _locked_head(session)
    event = AuditEvent(
        id=head.last_id + 1,
        at=(at or utcnow()).replace(microsecond=0),
        actor=actor.email,
        actor_role=actor.role,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        account_id=account_id,
        details=details or {},
        prev_hash=head.last_hash,
        row_hash="",
    )
    event.row_hash = _row_digest(event, audit_key())
    head.last_id = event.id
    head.last_hash = event.row_hash
    session.add(event)
    session.add(head)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    rows_checked: int
    broken_at_id: int | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.broken_at_id is None


def verify_chain(session: Session, *, batch_size: int = 5000) -> ChainReport:
    """Walk the chain in id order and report the first row whose keyed hash or link does not hold."""
    key = audit_key()
    expected_prev, expected_id, checked = GENESIS_HASH, 1, 0
    last_id = 0
    while True:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch_size)
        ).all()
        if not rows:
            break
        for row in rows:
            if row.id != expected_id:
                return ChainReport(checked, expected_id, f"row {expected_id} is missing")
            if row.prev_hash != expected_prev:
                return ChainReport(checked, row.id, f"row {row.id} does not link to the row before it")
            if not hmac.compare_digest(_row_digest(row, key), row.row_hash):
                return ChainReport(checked, row.id, f"row {row.id} was altered after it was written")
            expected_prev, expected_id, checked = row.row_hash, row.id + 1, checked + 1
            last_id = row.id
    head = session.get(AuditChainHead, 1)
    if head is not None and (head.last_id != last_id or head.last_hash != expected_prev):
        return ChainReport(checked, last_id + 1, f"rows after {last_id} were removed")
    return ChainReport(checked, None, None)
