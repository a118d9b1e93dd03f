"""Stripe sync runs: full (every listing, page by page) and incremental (the Events API from a cursor).

Each run is one `SyncRun` row (written in its own transactions, so a failure is recorded too). Pages
are committed one at a time; the event cursor and deletion sweep only move after everything else
succeeded, so a failed run is simply repeated by the next one. Unlike most of dashboard/, these
functions take the Engine: a run spans many transactions by design.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from dashboard.access.identity import SYSTEM, Actor
from dashboard.billing.stripe_gateway import StripeGateway, StripeGatewayError
from dashboard.billing.stripe_sync.apply import (
    RESOURCE_ORDER,
    PageApplier,
    SyncCounts,
    mark_deleted,
    unseen_ids,
)
from dashboard.billing.stripe_sync.linking import link_customers
from dashboard.core import audit
from dashboard.core.db import session_scope
from dashboard.core.jobs import RunStatus, close_abandoned_runs, describe_error, job_lock
from models import SyncRun, SyncState
from models.types import utcnow

CURSOR_KEY = "stripe.events_cursor"
STRIPE_JOB = "sync stripe"
STRIPE_KINDS = ("stripe_full", "stripe_incremental")
EVENT_RETENTION = timedelta(days=30)
Progress = Callable[[str, float], None]
log = logging.getLogger(__name__)

# Event type prefix -> resource. Longest prefixes first ("customer.subscription." before "customer.").
EVENT_RESOURCES = (
    ("customer.subscription.", "subscriptions"),
    ("customer.discount.", None),
    ("customer.source.", None),
    ("customer.tax_id.", None),
    ("customer.", "customers"),
    ("product.", "products"),
    ("price.", "prices"),
    ("coupon.", "coupons"),
    ("invoiceitem.", None),
    ("invoice_payment.", None),
    ("invoice.", "invoices"),
    ("charge.refund.", "refunds"),
    ("charge.dispute.", None),
    ("charge.", "charges"),
    ("refund.", "refunds"),
    ("credit_note.", "credit_notes"),
)
DELETABLE = frozenset({"customers", "products", "prices", "coupons", "invoices"})


@dataclass(frozen=True)
class SyncResult:
    run_id: int
    kind: str
    status: str
    counts: dict[str, dict[str, int]]
    message: str
    error: str | None


def run_stripe_sync(
    engine: Engine,
    gateway: StripeGateway,
    *,
    full: bool = False,
    actor: Actor = SYSTEM,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> SyncResult:
    """Sync the mirror from Stripe. Incremental unless `full`, or unless there is no usable cursor.

    One run at a time (`JobLocked` otherwise), and the run's end is recorded whatever happens.
    """
    with job_lock(engine, STRIPE_JOB, holder=actor.email):
        close_abandoned_runs(engine, STRIPE_KINDS)
        return _locked_run(engine, gateway, full=full, actor=actor, progress=progress, now=now)


def _locked_run(
    engine: Engine,
    gateway: StripeGateway,
    *,
    full: bool,
    actor: Actor,
    progress: Progress | None,
    now: datetime | None,
) -> SyncResult:
    now = now or utcnow()
    report = progress or (lambda _message, _fraction: None)
    cursor = _read_cursor(engine)
    message = ""
    if not full and cursor is None:
        full, message = True, "No event cursor yet: ran a full sync."
    elif not full and cursor is not None and now - cursor[0] > EVENT_RETENTION:
        full, message = (
            True,
            ("The event cursor is older than the 30 days Stripe keeps events: ran a full sync instead."),
        )
    kind = "stripe_full" if full else "stripe_incremental"
    run_id = _start_run(engine, kind, actor, message)
    counts = SyncCounts()
    try:
        if full:
            _full_sync(engine, gateway, counts, report, now)
        else:
            assert cursor is not None
            _incremental_sync(engine, gateway, cursor, counts, report, now)
    except StripeGatewayError as error:
        reason = _missing_permissions(gateway) if error.kind == "permission" else None
        return _finish_run(engine, run_id, kind, actor, counts, message, error=reason or error.message)
    except BaseException as error:  # a bug, a database error, an unexpected shape, Ctrl-C: still recorded
        log.exception("Stripe sync run %s failed unexpectedly", run_id)
        unexpected = f"Unexpected error: {describe_error(error)}"
        result = _finish_run(engine, run_id, kind, actor, counts, message, error=unexpected)
        if not isinstance(error, Exception):
            raise
        return result
    report("Done.", 1.0)
    return _finish_run(engine, run_id, kind, actor, counts, message, error=None)


def _missing_permissions(gateway: StripeGateway) -> str | None:
    """After a 403: every Read permission the restricted key lacks for a sync, said at once."""
    missing = gateway.missing_read_permissions(["events", *RESOURCE_ORDER])
    if not missing:
        return None
    names = ", ".join(name.replace("_", " ").capitalize() for name in missing)
    return (
        f"The Stripe API key (a restricted key) may not read: {names}. A sync needs Read on each of them "
        "(Events for the cursor and incremental syncs): in Stripe's Dashboard, Developers → API keys, edit "
        "the key and give it Read on these, then sync again."
    )


def _full_sync(
    engine: Engine, gateway: StripeGateway, counts: SyncCounts, report: Progress, now: datetime
) -> None:
    newest = next(gateway.event_pages(created_gte=0, limit=1), [])
    cursor = _cursor_from(newest, fallback=now)
    seen: dict[str, set[str]] = {}
    for position, resource in enumerate(RESOURCE_ORDER):
        report(f"Syncing {resource.replace('_', ' ')}…", position / (len(RESOURCE_ORDER) + 1))
        seen[resource] = set()
        for page in gateway.list_pages(resource):
            with session_scope(engine) as session:
                PageApplier(session, counts, now=now).apply(resource, page)
            seen[resource].update(obj["id"] for obj in page)
    report(
        "Reflecting deletions and linking customers to accounts…",
        len(RESOURCE_ORDER) / (len(RESOURCE_ORDER) + 1),
    )
    with session_scope(engine) as session:
        for resource, ids in seen.items():
            mark_deleted(session, resource, unseen_ids(session, resource, ids), counts)
        counts.updated["account_links"] += link_customers(session)
        _write_cursor(session, cursor)


def _incremental_sync(
    engine: Engine,
    gateway: StripeGateway,
    cursor: tuple[datetime, list[str]],
    counts: SyncCounts,
    report: Progress,
    now: datetime,
) -> None:
    """Read events since the cursor, fetch each touched object once (current state), apply in one go."""
    report("Reading Stripe events…", 0.05)
    since, seen_ids = cursor
    events = [
        e
        for page in gateway.event_pages(created_gte=int(since.timestamp()))
        for e in page
        if e["id"] not in seen_ids
    ]
    events.sort(key=lambda e: (e["created"], e["id"]))
    counts.seen["events"] = len(events)
    apply_events(
        engine,
        gateway,
        events,
        counts,
        report,
        now=now,
        finish=lambda session: _write_cursor(
            session, _cursor_from(events, fallback=since) if events else cursor
        ),
    )


def apply_events(
    engine: Engine,
    gateway: StripeGateway,
    events: list[dict],
    counts: SyncCounts,
    report: Progress | None = None,
    *,
    now: datetime,
    finish: Callable[[Session], None] | None = None,
) -> None:
    """Apply Stripe events (oldest first): fetch each touched object once in its current state, apply
    all in one transaction; `finish` runs in that transaction. Used by the Events sync and the webhook
    receiver alike."""
    report = report or (lambda _message, _fraction: None)
    touched: dict[str, dict[str, datetime]] = {}  # resource -> object id -> newest event time
    deleted: dict[str, set[str]] = {}
    for event in events:
        resource = _resource_of(event["type"])
        object_id = (event.get("data") or {}).get("object", {}).get("id")
        if resource is None or not object_id:
            continue
        if event["type"].endswith(".deleted") and resource in DELETABLE:
            deleted.setdefault(resource, set()).add(object_id)
            touched.get(resource, {}).pop(object_id, None)
        else:
            touched.setdefault(resource, {})[object_id] = datetime.fromtimestamp(event["created"], UTC)
            deleted.get(resource, set()).discard(object_id)
    report(f"Fetching {sum(len(v) for v in touched.values())} changed objects…", 0.3)
    fetched = {
        resource: [(gateway.retrieve(resource, oid), day) for oid, day in touched[resource].items()]
        for resource in RESOURCE_ORDER
        if resource in touched
    }
    report("Applying changes…", 0.8)
    with session_scope(engine) as session:
        applier = PageApplier(session, counts, now=now)
        for resource, pairs in fetched.items():
            for obj, when in pairs:
                applier.apply(resource, [obj], effective_on=when.date())
        for resource, ids in deleted.items():
            mark_deleted(session, resource, sorted(ids), counts)
        counts.updated["account_links"] += link_customers(session)
        if finish is not None:
            finish(session)


def _resource_of(event_type: str) -> str | None:
    return next((resource for prefix, resource in EVENT_RESOURCES if event_type.startswith(prefix)), None)


def _cursor_from(events: list[dict], *, fallback: datetime) -> tuple[datetime, list[str]]:
    """The newest event time and the ids of the events at exactly that second (to skip them next time)."""
    if not events:
        return fallback.replace(microsecond=0), []
    newest = max(e["created"] for e in events)
    return datetime.fromtimestamp(newest, UTC), sorted(e["id"] for e in events if e["created"] == newest)


def _read_cursor(engine: Engine) -> tuple[datetime, list[str]] | None:
    with session_scope(engine) as session:
        state = session.get(SyncState, CURSOR_KEY)
        if state is None or not state.value:
            return None
        data = json.loads(state.value)
        return datetime.fromtimestamp(data["created"], UTC), list(data["ids"])


def _write_cursor(session, cursor: tuple[datetime, list[str]]) -> None:
    state = session.get(SyncState, CURSOR_KEY) or SyncState(key=CURSOR_KEY)
    value = json.dumps({"created": int(cursor[0].timestamp()), "ids": cursor[1][-50:]})
    if state.value != value:
        state.value, state.updated_at = value, utcnow()
        session.add(state)


def _start_run(engine: Engine, kind: str, actor: Actor, message: str) -> int:
    with session_scope(engine) as session:
        run = SyncRun(kind=kind, status=RunStatus.RUNNING, triggered_by=actor.email, message=message)
        session.add(run)
        session.flush()
        return run.id


def _finish_run(
    engine: Engine,
    run_id: int,
    kind: str,
    actor: Actor,
    counts: SyncCounts,
    message: str,
    *,
    error: str | None,
) -> SyncResult:
    status = RunStatus.FAILED if error else RunStatus.SUCCEEDED
    with session_scope(engine) as session:
        run = session.get(SyncRun, run_id)
        run.status, run.finished_at, run.counts, run.error = status, utcnow(), counts.as_dict(), error
        session.add(run)
        audit.record(
            session,
            actor,
            f"sync.{kind}",
            target_type="sync_run",
            target_id=run_id,
            details={"status": status, "changes": counts.changes},
        )
    return SyncResult(
        run_id=run_id, kind=kind, status=status, counts=counts.as_dict(), message=message, error=error
    )
