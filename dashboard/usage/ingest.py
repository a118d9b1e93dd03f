"""Usage events in: from JSONL/CSV files or Python dicts, validated, hashed, bulk-loaded, rolled up.

A record has `event_id`, either `installation_id` or `subdomain` + `app` (slug or id), `feature`,
`actor` (the Zendesk user id), `occurred_at` (ISO 8601 with a zone), and optionally `ip_address` and
`user_agent`. Bad records are counted and written to a rejects file (0600, line number, reason and the
record without its actor id, IP address or user agent); good records go in; event ids already stored are
skipped, so re-ingesting a file adds nothing. Files are streamed: memory does not grow with their size,
a line over 128 KB is rejected without being read whole, and any bytes (not UTF-8, a BOM, deep nesting)
end as a rejected line, never a traceback.
"""

from __future__ import annotations

import csv
import ipaddress
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from sqlmodel import Session, select

from dashboard.access.identity import Actor
from dashboard.core import audit, clock
from dashboard.core.ids import parse_id
from dashboard.core.settings import get_settings
from dashboard.usage.agents import AgentDirectory
from dashboard.usage.bulk import EventRow, insert_events
from dashboard.usage.hashing import actor_digest, actor_hash_key
from dashboard.usage.rollup import refresh_rollups
from dashboard.usage.sqlparts import utc_text
from models import Account, App, Installation

REQUIRED = ("event_id", "feature", "actor", "occurred_at")
# What a rejects file keeps of a bad record, enough to find and fix it: never the actor id, IP or agent.
REJECT_FIELDS = ("event_id", "installation_id", "subdomain", "app", "feature", "occurred_at")
REJECT_SAMPLE = 20  # rejected rows kept in memory for the caller to show; the file has them all
MAX_LINE_BYTES = 128 * 1024
UNREADABLE = "_unreadable"  # key of a record that could not be read at all; its value is the reason
# Stands for a line too long to read in a CSV (whose records may span lines); never in real data.
_TOO_LONG_MARK = "\ue000line-too-long\ue000"
# Clocks drift; an event a few minutes "ahead" is not from the future.
FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str
    record: dict[str, Any]


@dataclass
class IngestResult:
    received: int = 0
    inserted: int = 0
    rejected_count: int = 0
    rejected_sample: list[Rejected] = field(default_factory=list)  # the first REJECT_SAMPLE
    days: list[date] = field(default_factory=list)  # UTC days whose rollups were refreshed
    rejects_path: Path | None = None

    @property
    def duplicates(self) -> int:
        return self.received - self.rejected_count - self.inserted


def reject_summary(record: dict[str, Any]) -> dict[str, str]:
    """The fields of `record` a rejects file keeps, as short text (no actor id, IP or user agent)."""
    summary = {name: _short_text(record[name]) for name in REJECT_FIELDS if name in record}
    if UNREADABLE in record:
        summary[UNREADABLE] = str(record[UNREADABLE])
    return summary


def _short_text(value: Any) -> str:
    if not isinstance(value, str | int | float | bool):
        return "<not text>"
    text = _storable(str(value))
    return text[:200] if text is not None else "<not UTF-8 text>"


def _storable(text: str) -> str | None:
    """`text` if a database can store it (valid UTF-8, no NUL character), else None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return None if "\x00" in text else text


class RejectsFile:
    """Rejected rows streamed to a JSONL file created 0600 on the first one; its mtime is the console
    clock's, so `purge usage` deletes it with the events of its time."""

    def __init__(self, path: Path, *, now: datetime) -> None:
        self.path, self.now = path, now
        self._handle: IO[str] | None = None

    def write(self, rejected: Rejected) -> None:
        if self._handle is None:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(descriptor, 0o600)
            self._handle = os.fdopen(descriptor, "w", encoding="utf-8")
        line = {"line": rejected.line, "reason": rejected.reason, "record": rejected.record}
        self._handle.write(json.dumps(line) + "\n")

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            os.utime(self.path, (self.now.timestamp(), self.now.timestamp()))


@dataclass(frozen=True)
class InstallationRef:
    installation_id: int
    account_id: int
    app_id: int


class InstallationDirectory:
    """Every installation, findable by id or by (subdomain, app slug or id)."""

    def __init__(self, session: Session) -> None:
        rows = session.exec(
            select(
                Installation.id,
                Installation.account_id,
                Installation.app_id,
                Installation.state,
                Account.zendesk_subdomain,
                App.slug,
            )
            .join(Account, Account.id == Installation.account_id)
            .join(App, App.id == Installation.app_id)
            .order_by(Installation.id)
        ).all()
        self.by_id: dict[int, InstallationRef] = {}
        self.by_name: dict[tuple[str, str], InstallationRef] = {}
        for inst_id, account_id, app_id, state, subdomain, slug in rows:
            ref = InstallationRef(inst_id, account_id, app_id)
            self.by_id[inst_id] = ref
            # A reinstall makes a newer row; prefer one that is still installed.
            for app_key in (slug, str(app_id)):
                name = (subdomain.lower(), app_key)
                if state != "uninstalled" or name not in self.by_name:
                    self.by_name[name] = ref

    def resolve(self, record: dict[str, Any]) -> InstallationRef | None:
        installation_id = str(record.get("installation_id") or "").strip()
        if installation_id:
            return self.by_id.get(parse_id(installation_id))
        subdomain = str(record.get("subdomain") or "").strip().lower()
        app = str(record.get("app") or "").strip()
        return self.by_name.get((subdomain, app))


class EventPreparer:
    """Turns one raw record into a store row, or says why it cannot be stored."""

    def __init__(self, session: Session, *, now: datetime) -> None:
        self.directory = InstallationDirectory(session)
        self.agents = AgentDirectory(session.connection())
        self.key = actor_hash_key()
        self.now = now
        settings = get_settings()
        self.oldest = (now - timedelta(days=settings.usage_retention_days)).date()
        self._hashes: dict[tuple[int, str], bytes] = {}

    def actor_hash(self, account_id: int, actor: str) -> bytes:
        """Agents send many events each, so each (account, actor) is hashed once per ingest."""
        known = self._hashes.get((account_id, actor))
        if known is None:
            known = actor_digest(self.key, account_id=account_id, actor=actor)
            self._hashes[(account_id, actor)] = known
        return known

    def prepare(self, record: dict[str, Any]) -> EventRow | str:
        if UNREADABLE in record:
            return str(record[UNREADABLE])
        if any(_storable(str(value)) is None for value in record.values() if isinstance(value, str)):
            return "a field is not valid UTF-8 text or holds a NUL character"
        missing = [name for name in REQUIRED if not str(record.get(name) or "").strip()]
        if not (
            str(record.get("installation_id") or "").strip()
            or (str(record.get("subdomain") or "").strip() and str(record.get("app") or "").strip())
        ):
            missing.append("installation_id or subdomain+app")
        if missing:
            return f"missing field: {', '.join(missing)}"
        occurred = parse_timestamp(str(record["occurred_at"]))
        if occurred is None:
            return "bad timestamp (ISO 8601 with a time zone expected)"
        if occurred > self.now + FUTURE_TOLERANCE:
            return "occurred_at is in the future"
        if occurred.date() < self.oldest:
            return "occurred_at is older than the retention window"
        ref = self.directory.resolve(record)
        if ref is None:
            return "unknown installation"
        event_id, feature = str(record["event_id"]).strip(), str(record["feature"]).strip()
        if len(event_id) > 64 or len(feature) > 64:
            return "event_id or feature longer than 64 characters"
        ip = str(record.get("ip_address") or "").strip() or None
        if ip is not None and not valid_ip(ip):
            return "bad ip_address"
        user_agent = str(record.get("user_agent") or "").strip()
        actor_hash = self.actor_hash(ref.account_id, str(record["actor"]).strip())
        return (
            event_id,
            ref.installation_id,
            ref.account_id,
            ref.app_id,
            feature,
            actor_hash,
            utc_text(occurred),
            ip,
            self.agents.id_for(user_agent) if user_agent else None,
        )


def parse_timestamp(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        return value.astimezone(UTC) if value.tzinfo is not None else None
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 moved out of range into UTC
        return None


@lru_cache(maxsize=65_536)
def valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def ingest_events(
    session: Session,
    records: Iterable[dict[str, Any]],
    *,
    actor: Actor,
    now: datetime | None = None,
    source: str = "api",
    batch_size: int = 50_000,
) -> IngestResult:
    """Validate, store and roll up `records` (numbered from 1). The caller commits."""
    return ingest_numbered(
        session, enumerate(records, start=1), actor=actor, now=now, source=source, batch_size=batch_size
    )


def ingest_numbered(
    session: Session,
    records: Iterable[tuple[int, dict[str, Any]]],
    *,
    actor: Actor,
    now: datetime | None = None,
    source: str = "api",
    batch_size: int = 50_000,
    rejects: RejectsFile | None = None,
) -> IngestResult:
    """`ingest_events` for (line number, record) pairs; rejected rows also go to `rejects`."""
    now = now or clock.now()
    preparer = EventPreparer(session, now=now)
    result = IngestResult(rejects_path=rejects.path if rejects else None)
    days: set[date] = set()
    batch: list[EventRow] = []
    connection = session.connection()
    for line, record in records:
        result.received += 1
        prepared = preparer.prepare(record)
        if isinstance(prepared, str):
            _reject(result, rejects, Rejected(line, prepared, reject_summary(record)))
            continue
        batch.append(prepared)
        days.add(date.fromisoformat(prepared[6][:10]))
        if len(batch) >= batch_size:
            result.inserted += insert_events(connection, batch)
            batch.clear()
    result.inserted += insert_events(connection, batch)
    if result.inserted:
        result.days = sorted(days)
        refresh_rollups(session, days=result.days)
    audit.record(
        session,
        actor,
        "usage.ingest",
        target_type="usage_events",
        target_id=source[:128],
        details={"received": result.received, "inserted": result.inserted, "rejected": result.rejected_count},
    )
    return result


def _reject(result: IngestResult, rejects: RejectsFile | None, rejected: Rejected) -> None:
    result.rejected_count += 1
    if len(result.rejected_sample) < REJECT_SAMPLE:
        result.rejected_sample.append(rejected)
    if rejects is not None:
        rejects.write(rejected)


def read_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(physical line number, record) from a `.jsonl`/`.ndjson` or `.csv` file, streamed. A line that
    cannot be read becomes a record holding only `UNREADABLE` and the reason."""
    with path.open("rb") as handle:
        if path.suffix.lower() == ".csv":
            yield from _csv_records(handle)
        else:
            yield from _jsonl_records(handle)


def _physical_lines(handle: IO[bytes]) -> Iterator[tuple[int, bytes | None]]:
    """Each line with its number; None for one longer than MAX_LINE_BYTES (skipped, never held whole)."""
    number = 0
    while line := handle.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(line) <= MAX_LINE_BYTES or line.endswith(b"\n"):
            yield number, line
            continue
        while line and not line.endswith(b"\n"):
            line = handle.readline(MAX_LINE_BYTES + 1)
        yield number, None


def _decoded(raw: bytes, number: int) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text.removeprefix("\ufeff") if number == 1 else text


def _jsonl_records(handle: IO[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, raw in _physical_lines(handle):
        text = _decoded(raw, number) if raw is not None else None
        if raw is None:
            yield number, {UNREADABLE: "line longer than 128 KB"}
        elif text is None:
            yield number, {UNREADABLE: "line is not UTF-8 text"}
        elif text.strip():
            yield number, _json_object(text)


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        return {UNREADABLE: "not a JSON object"}
    return value if isinstance(value, dict) else {UNREADABLE: "not a JSON object"}


def _csv_lines(handle: IO[bytes]) -> Iterator[str]:
    """Decoded lines for the csv reader; bytes that are not UTF-8 survive as lone surrogates (refused
    per row), a line too long is replaced by a mark (refused per row)."""
    for number, raw in _physical_lines(handle):
        if raw is None:
            yield _TOO_LONG_MARK + "\n"
            continue
        text = raw.decode("utf-8", errors="surrogateescape")
        yield text.removeprefix("\ufeff") if number == 1 else text


def _csv_records(handle: IO[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.reader(_csv_lines(handle))
    header: list[str] | None = None
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # e.g. a field over the csv module's 128 KB limit
            yield start, {UNREADABLE: f"CSV row cannot be read: {error}"}
            continue
        if not row:
            continue  # a blank line
        if any(_TOO_LONG_MARK in cell for cell in row):
            yield start, {UNREADABLE: "line longer than 128 KB"}
        elif header is None:
            header = [cell.strip() for cell in row]
        elif any(_storable(cell) is None for cell in row):
            yield start, {UNREADABLE: "row is not UTF-8 text or holds a NUL character"}
        else:
            yield start, dict(zip(header, row, strict=False))


def rejects_dir() -> Path:
    return get_settings().data_dir / "usage-rejects"


def default_rejects_path(path: Path, *, now: datetime) -> Path:
    """Where an ingest's rejects go unless told: DATA_DIR/usage-rejects/, so `purge usage` finds them."""
    return rejects_dir() / f"{path.name[:100]}.{now:%Y%m%dT%H%M%S}.rejects.jsonl"


def purge_rejects(*, before: datetime, dry_run: bool = False) -> int:
    """Delete (or count) the rejects files in `rejects_dir()` written before `before`."""
    folder = rejects_dir()
    due = [p for p in folder.glob("*.rejects.jsonl") if p.stat().st_mtime < before.timestamp()]
    if not dry_run:
        for path in due:
            path.unlink(missing_ok=True)
    return len(due)


def ingest_file(
    session: Session,
    path: Path,
    *,
    actor: Actor,
    rejects_path: Path | None = None,
    now: datetime | None = None,
) -> IngestResult:
    """Ingest a JSONL or CSV file; bad rows go to `rejects_path` (default: `default_rejects_path`)."""
    now = now or clock.now()
    rejects = RejectsFile(rejects_path or default_rejects_path(path, now=now), now=now)
    try:
        return ingest_numbered(
            session, read_records(path), actor=actor, now=now, source=path.name, rejects=rejects
        )
    finally:
        rejects.close()
