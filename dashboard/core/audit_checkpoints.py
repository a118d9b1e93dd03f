"""Signed checkpoints of the audit chain's head, kept outside the store.

`python -m dashboard audit checkpoint --to FILE` appends one line per run to FILE (meant for append-only
storage, taken on a schedule): the time, the newest row's id and its hash, and an HMAC of the three with
a key derived from `AUDIT_KEY`. `audit verify --checkpoints FILE` then requires every checkpointed row
to still be in the store with that very hash. That catches what the keyed chain alone cannot:
- rows deleted from the end and the head rewound (or the whole log deleted): the checkpointed row is gone;
- a row rewritten and everything after it re-chained by someone holding `AUDIT_KEY`: the checkpointed
  row's hash differs.
What it cannot catch: changes to rows written after the newest checkpoint by someone holding the key,
and the loss of rows after the newest checkpoint (truncation back to it). Checkpoint often.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from dashboard.core import audit
from dashboard.core.errors import ValidationError
from models import AuditChainHead, AuditEvent

_PURPOSE = b"apps-console/audit-checkpoint/v1"


@dataclass(frozen=True)
class Checkpoint:
    at: datetime
    last_id: int
    last_hash: str


def _mac(checkpoint: Checkpoint, key: bytes) -> str:
    signing_key = hmac.new(key, _PURPOSE, hashlib.sha256).digest()
    payload = f"{checkpoint.at.isoformat()}|{checkpoint.last_id}|{checkpoint.last_hash}".encode()
    return hmac.new(signing_key, payload, hashlib.sha256).hexdigest()


def current_checkpoint(session: Session, *, at: datetime) -> Checkpoint:
    """The head of the chain as it stands now."""
    head = session.get(AuditChainHead, 1)
    if head is None:
        return Checkpoint(at=at, last_id=0, last_hash=audit.GENESIS_HASH)
    return Checkpoint(at=at, last_id=head.last_id, last_hash=head.last_hash)


def append_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Append the signed checkpoint to `path` as one JSON line, flushed to disk before returning."""
    line = json.dumps(
        {
            "at": checkpoint.at.isoformat(),
            "last_id": checkpoint.last_id,
            "last_hash": checkpoint.last_hash,
            "mac": _mac(checkpoint, audit.audit_key()),
        },
        sort_keys=True,
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_checkpoints(path: Path) -> list[Checkpoint]:
    """Every checkpoint in `path`; a line that is not a checkpoint signed with AUDIT_KEY is refused."""
    if not path.is_file():
        raise ValidationError(f"{path} is not a file.", field="checkpoints")
    key = audit.audit_key()
    checkpoints = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip(" \t\r\n"):  # only JSON Lines blanks: "\x1c" is a bad line, not a blank one
                checkpoints.append(_parse_line(line, number, key))
    return checkpoints


def _parse_line(line: str, number: int, key: bytes) -> Checkpoint:
    try:
        raw = json.loads(line)
        checkpoint = Checkpoint(
            at=datetime.fromisoformat(raw["at"]), last_id=int(raw["last_id"]), last_hash=str(raw["last_hash"])
        )
        mac = str(raw["mac"])
    except (ValueError, KeyError, TypeError) as error:
        raise ValidationError(
            f"Checkpoint line {number} is not a checkpoint.", field="checkpoints"
        ) from error
    if not hmac.compare_digest(_mac(checkpoint, key), mac):
        raise ValidationError(
            f"Checkpoint line {number} is not signed with this AUDIT_KEY (altered, or another key).",
            field="checkpoints",
        )
    return checkpoint


def check_checkpoints(session: Session, checkpoints: list[Checkpoint]) -> str | None:
    """The first checkpoint the store no longer matches, as a sentence; None when all hold."""
    for checkpoint in checkpoints:
        if checkpoint.last_id == 0:
            continue
        row = session.get(AuditEvent, checkpoint.last_id)
        when = checkpoint.at.isoformat()
        if row is None:
            return (
                f"row {checkpoint.last_id}, the head at the checkpoint of {when}, is missing: "
                "rows were removed from the end (truncated or rewound)"
            )
        if not hmac.compare_digest(row.row_hash, checkpoint.last_hash):
            return (
                f"row {checkpoint.last_id} no longer has the hash of the checkpoint of {when}: "
                "the log was rewritten and re-chained"
            )
    return None
