"""Stripe webhooks: each verified event is stored once and applied through the Events sync's own code.

- Dedupe: `stripe_webhook_events` is keyed by Stripe's event id; a replay (Stripe retries, a delivery
  seen twice) is answered `duplicate` and changes nothing. A failed apply is retried on redelivery.
- Out of order: applying fetches the object's *current* state from Stripe (as the Events sync does),
  so an older event can never put an older state back. An event no newer than the mirror's copy (a
  newer event for the same object already applied here, or an event the poller's cursor has already
  passed) is `stale`: recorded, nothing fetched, nothing written.
- The Events poller (`sync stripe`) stays the safety net for deliveries that never arrive.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from dashboard.billing.stripe_gateway import StripeGateway, StripeGatewayError
from dashboard.billing.stripe_sync.apply import SyncCounts
from dashboard.billing.stripe_sync.runner import _read_cursor, _resource_of, apply_events
from dashboard.core.db import session_scope
from models import StripeWebhookEvent
from models.types import utcnow


class WebhookOutcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    STALE = "stale"
    IGNORED = "ignored"  # a type the mirror does not keep


def _object_id(event: dict) -> str | None:
    return ((event.get("data") or {}).get("object") or {}).get("id")


def receive_event(engine: Engine, gateway: StripeGateway, event: dict, *, now: datetime | None = None) -> str:
    """Store `event` once and apply it; returns a WebhookOutcome. Gateway failures are raised (the
    receiver answers 500, so Stripe delivers again) after the event is marked failed."""
    now = now or utcnow()
    created = datetime.fromtimestamp(int(event["created"]), UTC)
    object_id = _object_id(event)
    try:
        with session_scope(engine) as session:
            row = session.get(StripeWebhookEvent, event["id"])
            if row is not None and row.status != "failed":
                return WebhookOutcome.DUPLICATE
            if row is None:
                row = StripeWebhookEvent(
                    id=event["id"],
                    type=str(event.get("type", ""))[:64],
                    created=created,
                    object_id=object_id,
                    livemode=bool(event.get("livemode")),
                    received_at=now,
                )
            status = "received"
            if _resource_of(row.type) is None or not object_id:
                status = WebhookOutcome.IGNORED
            elif _is_stale(session, event["id"], object_id, created, _read_cursor(engine)):
                status = WebhookOutcome.STALE
            row.status, row.error = status, None
            session.add(row)
    except IntegrityError:  # the same event delivered twice at once: the other delivery stored it
        return WebhookOutcome.DUPLICATE
    if status != "received":
        return WebhookOutcome(status)

    def _applied(session) -> None:
        stored = session.get(StripeWebhookEvent, event["id"])
        stored.status, stored.applied_at = WebhookOutcome.APPLIED.value, utcnow()
        session.add(stored)

    try:
        apply_events(engine, gateway, [event], SyncCounts(), now=now, finish=_applied)
    except StripeGatewayError as error:
        with session_scope(engine) as session:
            stored = session.get(StripeWebhookEvent, event["id"])
            stored.status, stored.error = "failed", error.message[:2000]
            session.add(stored)
        raise
    return WebhookOutcome.APPLIED


def _is_stale(session, event_id: str, object_id: str, created: datetime, cursor) -> bool:
    if cursor is not None:
        polled_until, ids_at_cursor = cursor
        if created < polled_until or (created == polled_until and event_id in ids_at_cursor):
            return True
    newer = session.exec(
        select(StripeWebhookEvent.id)
        .where(StripeWebhookEvent.object_id == object_id)
        .where(StripeWebhookEvent.status == WebhookOutcome.APPLIED.value)
        .where(col(StripeWebhookEvent.created) > created)
        .limit(1)
    ).first()
    return newer is not None
