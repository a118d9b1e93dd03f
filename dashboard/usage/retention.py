"""Retention of raw usage events: delete them, or cut their IP addresses to a network, after N days.

Rollups are kept either way; they hold no IP addresses and only account-scoped actor hashes. A user
agent goes with the last event that refers to it. On a partitioned PostgreSQL store a month wholly past
retention goes as a whole partition (dashboard/usage/partitions.py); only the events of the month the
cutoff falls in (and any in the default partition) are deleted row by row.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import text
from sqlmodel import Session

from dashboard.access.identity import Actor
from dashboard.core import audit, clock
from dashboard.core.errors import ValidationError
from dashboard.usage.partitions import drop_expired_partitions
from dashboard.usage.sqlparts import day_start, time_param


class RetentionMode(StrEnum):
    DELETE = "delete"
    TRUNCATE_IP = "truncate_ip"


MAX_RETENTION_DAYS = 36_500  # a hundred years: beyond it the cutoff is before any event can be
BATCH = 10_000


@dataclass(frozen=True)
class PurgeResult:
    mode: RetentionMode
    cutoff: datetime
    events: int  # changed, or (dry run) that would change
    dry_run: bool = False


def validate_retention(days: int, mode: str) -> RetentionMode:
    """The mode, once `days` and `mode` are both valid; otherwise ValidationError, before any query."""
    if mode not in set(RetentionMode):
        choices = ", ".join(RetentionMode)
        raise ValidationError(f"retention mode must be one of {choices}, not {mode!r}", field="mode")
    if not 1 <= days <= MAX_RETENTION_DAYS:
        raise ValidationError(
            f"retention must be between 1 and {MAX_RETENTION_DAYS} days, not {days}", field="days"
        )
    return RetentionMode(mode)


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
    session: Session,
    *,
    actor: Actor,
    days: int,
    mode: str,
    now: datetime | None = None,
    dry_run: bool = False,
) -> PurgeResult:
    """Apply retention to raw events older than `days` days (a dry run only counts). The caller commits."""
    retention_mode = validate_retention(days, mode)
    cutoff = retention_cutoff(now or clock.now(), days)
    connection = session.connection()
    bound = {"cutoff": time_param(connection.dialect.name, cutoff)}
    if retention_mode is RetentionMode.DELETE:
        count = _delete_events(session, cutoff, bound, dry_run=dry_run)
    else:
        count = _truncate_ips(session, bound, dry_run=dry_run)
    if not dry_run:
        audit.record(
            session,
            actor,
            f"usage.purge.{retention_mode}",
            target_type="usage_events",
            details={"cutoff": cutoff.isoformat(), "events": count},
        )
    return PurgeResult(retention_mode, cutoff, count, dry_run)


def _delete_events(session: Session, cutoff: datetime, bound: dict, *, dry_run: bool) -> int:
    connection = session.connection()
    if dry_run:
        statement = text("SELECT COUNT(*) FROM usage_events WHERE occurred_at < :cutoff")
        return connection.execute(statement, bound).scalar_one()
    dropped = sum(partition.events for partition in drop_expired_partitions(connection, cutoff=cutoff))
    deleted = (
        dropped
        + connection.execute(text("DELETE FROM usage_events WHERE occurred_at < :cutoff"), bound).rowcount
    )
    connection.execute(
        text(
            "DELETE FROM usage_agents WHERE id NOT IN "
            "(SELECT DISTINCT agent_id FROM usage_events WHERE agent_id IS NOT NULL)"
        )
    )
    return deleted


def _truncate_ips(session: Session, bound: dict, *, dry_run: bool) -> int:
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
        if updates and not dry_run:
            connection.execute(text("UPDATE usage_events SET ip_address = :ip WHERE id = :id"), updates)
        changed += len(updates)
