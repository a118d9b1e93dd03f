"""Retention of raw usage events: delete them, or cut their IP addresses to a network, after N days.

Rollups are kept either way; they hold no IP addresses and only account-scoped actor hashes.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlmodel import Session

from dashboard import audit, clock
from dashboard.errors import ValidationError
from dashboard.identity import Actor
from dashboard.usage.sqlparts import day_start, time_param

MODES = ("delete", "truncate_ip")
BATCH = 10_000


@dataclass(frozen=True)
class PurgeResult:
    mode: str
    cutoff: datetime
    events: int


def retention_cutoff(now: datetime, days: int) -> datetime:
    """Start of the UTC day `days` days ago; events before it are past retention."""
    return day_start((now.astimezone(UTC) - timedelta(days=days)).date())


def truncate_ip(address: str) -> str:
    """IPv4 to its /24 network address, IPv6 to its /48; anything unparsable is dropped to ''."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def purge_usage(
    session: Session, *, actor: Actor, days: int, mode: str, now: datetime | None = None
) -> PurgeResult:
    """Apply retention to raw events older than `days` days. The caller commits."""
    if mode not in MODES:
        raise ValidationError(f"retention mode must be one of {', '.join(MODES)}", field="mode")
    if days < 1:
        raise ValidationError("retention must be at least one day", field="days")
    cutoff = retention_cutoff(now or clock.now(), days)
    connection = session.connection()
    bound = {"cutoff": time_param(connection.dialect.name, cutoff)}
    if mode == "delete":
        statement = text("DELETE FROM usage_events WHERE occurred_at < :cutoff")
        count = connection.execute(statement, bound).rowcount
    else:
        count = _truncate_ips(session, bound)
    audit.record(
        session,
        actor,
        f"usage.purge.{mode}",
        target_type="usage_events",
        details={"cutoff": cutoff.isoformat(), "events": count},
    )
    return PurgeResult(mode, cutoff, count)


def _truncate_ips(session: Session, bound: dict) -> int:
    connection = session.connection()
    changed = 0
    last_id = 0
    while True:
        rows = connection.execute(
            text(
                "SELECT id, ip_address FROM usage_events "
                "WHERE occurred_at < :cutoff AND ip_address IS NOT NULL AND id > :last "
                "ORDER BY id LIMIT :batch"
            ),
            {**bound, "last": last_id, "batch": BATCH},
        ).all()
        if not rows:
            return changed
        last_id = rows[-1][0]
        updates = [{"id": row_id, "ip": truncate_ip(ip)} for row_id, ip in rows if truncate_ip(ip) != ip]
        if updates:
            connection.execute(text("UPDATE usage_events SET ip_address = :ip WHERE id = :id"), updates)
            changed += len(updates)
