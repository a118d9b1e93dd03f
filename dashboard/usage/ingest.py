"""Usage events in: from JSONL/CSV files or Python dicts, validated, hashed, bulk-loaded, rolled up.

A record has `event_id`, either `installation_id` or `subdomain` + `app` (slug or id), `feature`,
`actor` (the Zendesk user id), `occurred_at` (ISO 8601 with a zone), and optionally `ip_address` and
`user_agent`. Bad records are returned (and written to a rejects file) with the reason; good records
go in; event ids already stored are skipped, so re-ingesting a file adds nothing.
"""

from __future__ import annotations

import csv
import ipaddress
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlmodel import Session, select
from ua_parser import parse as parse_user_agent

from dashboard import audit, clock
from dashboard.identity import Actor
from dashboard.settings import get_settings
from dashboard.usage.bulk import EventRow, insert_events
from dashboard.usage.hashing import actor_hash_key, hash_actor
from dashboard.usage.rollup import refresh_rollups
from dashboard.usage.sqlparts import utc_text
from models import Account, App, Installation

REQUIRED = ("event_id", "feature", "actor", "occurred_at")
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
    rejected: list[Rejected] = field(default_factory=list)
    days: list[date] = field(default_factory=list)  # UTC days whose rollups were refreshed

    @property
    def duplicates(self) -> int:
        return self.received - len(self.rejected) - self.inserted


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
            return self.by_id.get(int(installation_id)) if installation_id.isdigit() else None
        subdomain = str(record.get("subdomain") or "").strip().lower()
        app = str(record.get("app") or "").strip()
        return self.by_name.get((subdomain, app))


class EventPreparer:
    """Turns one raw record into a store row, or says why it cannot be stored."""

    def __init__(self, session: Session, *, now: datetime) -> None:
        self.directory = InstallationDirectory(session)
        self.key = actor_hash_key()
        self.now = now
        self.ingested_at = utc_text(now)
        settings = get_settings()
        self.oldest = (now - timedelta(days=settings.usage_retention_days)).date()
        self._hashes: dict[tuple[int, str], str] = {}

    def actor_hash(self, account_id: int, actor: str) -> str:
        """Agents send many events each, so each (account, actor) is hashed once per ingest."""
        known = self._hashes.get((account_id, actor))
        if known is None:
            known = hash_actor(self.key, account_id=account_id, actor=actor)
            self._hashes[(account_id, actor)] = known
        return known

    def prepare(self, record: dict[str, Any]) -> EventRow | str:
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
        user_agent = str(record.get("user_agent") or "").strip() or None
        browser, os_name = browser_and_os(user_agent[:500]) if user_agent else (None, None)
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
            user_agent[:500] if user_agent else None,
            browser,
            os_name,
            self.ingested_at,
        )


def parse_timestamp(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.astimezone(UTC) if value.tzinfo is not None else None


@lru_cache(maxsize=65_536)
def valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=4096)
def browser_and_os(user_agent: str) -> tuple[str | None, str | None]:
    """Browser and OS family names (apps send few distinct user agents, so the parse is cached)."""
    result = parse_user_agent(user_agent)
    browser = result.user_agent.family if result.user_agent else None
    os_name = result.os.family if result.os else None
    return (browser[:64] if browser else None), (os_name[:64] if os_name else None)


def ingest_events(
    session: Session,
    records: Iterable[dict[str, Any]],
    *,
    actor: Actor,
    now: datetime | None = None,
    source: str = "api",
    batch_size: int = 50_000,
) -> IngestResult:
    """Validate, store and roll up `records`. The caller commits."""
    now = now or clock.now()
    preparer = EventPreparer(session, now=now)
    result = IngestResult()
    days: set[date] = set()
    batch: list[EventRow] = []
    connection = session.connection()
    for line, record in enumerate(records, start=1):
        result.received += 1
        prepared = preparer.prepare(record)
        if isinstance(prepared, str):
            result.rejected.append(Rejected(line, prepared, record))
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
        target_id=source,
        details={"received": result.received, "inserted": result.inserted, "rejected": len(result.rejected)},
    )
    return result


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """Records from a `.jsonl`/`.ndjson` or `.csv` file; a JSON line that does not parse becomes a bad row."""
    with path.open(newline="", encoding="utf-8") as handle:
        if path.suffix.lower() == ".csv":
            yield from csv.DictReader(handle)
            return
        for text in handle:
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                value = None
            yield value if isinstance(value, dict) else {"_unparsed": text.rstrip("\n")}


def default_rejects_path(path: Path) -> Path:
    return path.with_name(path.name + ".rejects.jsonl")


def write_rejects(path: Path, rejected: list[Rejected]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for item in rejected:
            handle.write(
                json.dumps({"line": item.line, "reason": item.reason, "record": item.record}, default=str)
                + "\n"
            )


def ingest_file(
    session: Session,
    path: Path,
    *,
    actor: Actor,
    rejects_path: Path | None = None,
    now: datetime | None = None,
) -> IngestResult:
    """Ingest a JSONL or CSV file; bad rows go to `rejects_path` (default: FILE.rejects.jsonl)."""
    result = ingest_events(session, read_records(path), actor=actor, now=now, source=path.name)
    if result.rejected:
        write_rejects(rejects_path or default_rejects_path(path), result.rejected)
    return result
