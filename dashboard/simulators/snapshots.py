"""The demo simulators' state on disk, so a restarted demo console still shows what was done in them.

The simulators are filled from the demo store when the console starts; what requests changed afterwards
(a refund, a voided invoice, a deleted Zendesk user) lived only in their memory. Now, after each request
that may have changed something, the simulator's changed part (`saved_state()`) is written to
`<DATA_DIR>/simulators/<name>.json` — to a temporary file renamed over the old one, so a crash leaves the
old snapshot or the new one, never half of one — and on the next start it is put back over the fill.

A snapshot that cannot be read, does not have the expected shape, or was taken of another seeding of
the demo store (its `store` fingerprint differs) is refused with a log line saying so: the simulator
then holds the demo store's data alone, and the next change writes a new snapshot.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlmodel import Session, select

from dashboard.privacy.exports.package import ensure_private_dir, write_private
from models import AuditEvent

SNAPSHOT_VERSION = 1
log = logging.getLogger(__name__)


class Persistent(Protocol):
    """A simulator whose changes can be saved and put back (StripeSimulator, ZendeskSimulator)."""

    on_change: Any

    def saved_state(self) -> dict[str, Any]: ...

    def restore(self, state: dict[str, Any]) -> None: ...


def store_fingerprint(engine: Engine) -> str:
    """The demo store's first audit row hash: a new seeding of the store has another one."""
    with Session(engine) as session:
        return session.exec(select(AuditEvent.row_hash).order_by(AuditEvent.id).limit(1)).first() or ""


@dataclass(frozen=True)
class Snapshots:
    directory: Path
    store: str  # store_fingerprint of the demo store the simulators are filled from

    def path(self, name: str) -> Path:
        return self.directory / f"{name}.json"

    def save(self, name: str, state: dict[str, Any]) -> None:
        data = {"version": SNAPSHOT_VERSION, "store": self.store, "state": state}
        write_private(ensure_private_dir(self.directory) / f"{name}.json", json.dumps(data).encode())

    def load(self, name: str) -> dict[str, Any] | None:
        """The saved state, or None when there is none or it is refused (logged)."""
        path = self.path(name)
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, ValueError) as error:
            return _refused(name, path, f"it cannot be read ({error})")
        if not isinstance(data, dict) or data.get("version") != SNAPSHOT_VERSION:
            return _refused(name, path, "it is not a snapshot this console writes")
        if data.get("store") != self.store:
            return _refused(name, path, "it was taken of another seeding of the demo store")
        if not isinstance(data.get("state"), dict):
            return _refused(name, path, "it holds no state")
        return data["state"]


def _refused(name: str, path: Path, why: str) -> None:
    log.warning(
        "Demo %s snapshot %s refused: %s. The simulator holds the demo store's data.", name, path, why
    )
    return None


def persist(simulator: Persistent, name: str, snapshots: Snapshots) -> None:
    """Put the saved changes back over the simulator's fill, then save them after every change."""
    state = snapshots.load(name)
    if state is not None:
        try:
            simulator.restore(state)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            _refused(name, snapshots.path(name), f"its state does not fit ({error!r})")
        else:
            log.info("Demo %s: the changes saved in %s are back.", name, snapshots.path(name))
    simulator.on_change = lambda: snapshots.save(name, simulator.saved_state())
