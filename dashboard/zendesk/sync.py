"""Sync app installations from every enabled Zendesk connection into `installations`.

Only the company's own apps (App.zendesk_app_id) are kept. An installation that no longer comes back
from Zendesk is marked uninstalled with the date, never deleted. Each account is fetched first and
written inside its own savepoint, so one account failing (bad token, 429 past the budget, timeout)
is reported for that account and the others still sync. One SyncRun row per run holds per-account
outcomes. `sync_installations` runs in the caller's transaction; `run_zendesk_sync` (the CLI's and the
Sync page's entry) takes the job's lock and records a failed run even when that transaction rolls back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from dashboard.access.identity import Actor
from dashboard.core import audit
from dashboard.core.db import session_scope
from dashboard.core.jobs import RunStatus, close_abandoned_runs, describe_error, job_lock, record_failed_run
from dashboard.core.settings import get_settings
from dashboard.zendesk.connections import ConnectionCredentials, enabled_credentials
from dashboard.zendesk.gateway import WaitBudget, ZendeskAccountError, ZendeskGateway, ZendeskInstallation
from models import Account, App, Installation, SyncRun, ZendeskConnection
from models.types import utcnow

log = logging.getLogger(__name__)

SYNC_KIND = "zendesk"
SOURCE = "zendesk"  # installations.source of the rows this sync keeps up to date (and marks uninstalled)
ZENDESK_JOB = "sync zendesk"
STORE_ERROR_KIND = "store"  # Zendesk answered; the console's own database refused the rows
Progress = Callable[[int, int, str], None]  # (done, total, subdomain being synced)


@dataclass
class AccountOutcome:
    subdomain: str
    ok: bool = True
    error_kind: str | None = None
    message: str = ""
    fetched: int = 0
    kept: int = 0
    created: int = 0
    updated: int = 0
    uninstalled: int = 0
    requests: int = 0


@dataclass
class SyncResult:
    run_id: int
    status: str
    outcomes: list[AccountOutcome] = field(default_factory=list)
    error: str | None = None  # a failure of the whole run, not of one account

    @property
    def failed(self) -> list[AccountOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.ok]


def company_app_ids(session: Session) -> dict[int, int]:
    """Zendesk app id -> our App.id, for the company's own apps."""
    rows = session.exec(select(App.zendesk_app_id, App.id).where(App.zendesk_app_id.is_not(None))).all()
    return {int(zendesk_id): app_id for zendesk_id, app_id in rows}


def account_for_subdomain(session: Session, subdomain: str) -> Account:
    """The customer account of a Zendesk subdomain, created (named after it) when it is new."""
    account = session.exec(select(Account).where(Account.zendesk_subdomain == subdomain)).first()
    if account is None:
        account = Account(company_name=subdomain, zendesk_subdomain=subdomain)
        session.add(account)
        session.flush()
    return account


def _apply(row: Installation, found: ZendeskInstallation, now: datetime) -> bool:
    """Copy Zendesk's view onto `row`; True when anything a person would notice changed."""
    values: dict[str, Any] = {
        "source": SOURCE,
        "state": "enabled" if found.enabled else "disabled",
        "plan_name": found.plan_name,
        "paid": found.paid,
        "has_unpaid_subscription": found.has_unpaid_subscription,
        "has_incomplete_subscription": found.has_incomplete_subscription,
        "stripe_subscription_id": found.stripe_subscription_id,
        "seats": found.seats,
        "settings": found.settings,
        "installed_at": found.created_at or row.installed_at or now,
        "updated_at": found.updated_at or row.updated_at,
        "uninstalled_at": None,
    }
    changed = any(getattr(row, name) != value for name, value in values.items())
    if changed:
        for name, value in values.items():
            setattr(row, name, value)
        row.last_seen_at = now
    return changed


def _mark_seen(session: Session, ids: list[int], now: datetime) -> None:
    """One UPDATE per 500 unchanged installations instead of one per row."""
    for start in range(0, len(ids), 500):
        session.execute(
            update(Installation)
            .where(Installation.id.in_(ids[start : start + 500]))
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )


def store_account_installations(
    session: Session,
    *,
    account_id: int,
    found: list[ZendeskInstallation],
    app_ids: dict[int, int],
    now: datetime,
    outcome: AccountOutcome,
) -> None:
    """Upsert what Zendesk returned for one account and mark the vanished ones uninstalled."""
    existing = {
        (row.app_id, row.zendesk_installation_id): row
        for row in session.exec(select(Installation).where(Installation.account_id == account_id)).all()
    }
    seen: set[tuple[int, int]] = set()
    unchanged_ids: list[int] = []
    for item in found:
        app_id = app_ids.get(item.app_id)
        if app_id is None:
            continue
        key = (app_id, item.installation_id)
        if key in seen:
            continue
        seen.add(key)
        outcome.kept += 1
        row = existing.get(key)
        if row is None:
            row = Installation(
                account_id=account_id, app_id=app_id, zendesk_installation_id=item.installation_id
            )
            _apply(row, item, now)
            session.add(row)
            outcome.created += 1
        elif _apply(row, item, now):
            session.add(row)
            outcome.updated += 1
        else:
            unchanged_ids.append(row.id)
    _mark_seen(session, unchanged_ids, now)
    for key, row in existing.items():
        if key not in seen and row.source == SOURCE and row.state != "uninstalled":
            row.state = "uninstalled"
            row.uninstalled_at = now
            session.add(row)
            outcome.uninstalled += 1


def _sync_one(
    session: Session,
    gateway: ZendeskGateway,
    credentials: ConnectionCredentials,
    app_ids: dict[int, int],
    now: datetime,
    run_budget: WaitBudget,
) -> AccountOutcome:
    outcome = AccountOutcome(credentials.subdomain)
    if credentials.token is None:
        outcome.ok, outcome.error_kind = False, "auth"
        outcome.message = "The stored token cannot be read (secret key changed): enter the token again."
        return outcome
    client = gateway.client(
        subdomain=credentials.subdomain,
        email=credentials.email,
        token=credentials.token,
        run_budget=run_budget,
    )
    try:
        found = client.installations()
    except ZendeskAccountError as error:
        outcome.ok, outcome.error_kind, outcome.message = False, error.kind, error.message
        return outcome
    finally:
        outcome.requests = client.requests_made
    outcome.fetched = len(found)
    try:
        with session.begin_nested():
            account = account_for_subdomain(session, credentials.subdomain)
            store_account_installations(
                session, account_id=account.id, found=found, app_ids=app_ids, now=now, outcome=outcome
            )
    except SQLAlchemyError as error:  # this account's savepoint is rolled back; the others still sync
        log.exception("%s: storing the installations failed", credentials.subdomain)
        outcome.ok, outcome.error_kind = False, STORE_ERROR_KIND
        outcome.message = (
            f"Fetched {outcome.fetched} installations from Zendesk, but the console's store refused to save "
            f"them ({type(getattr(error, 'orig', None) or error).__name__}); nothing was changed for this "
            "account. Check the database migrations are up to date (python -m dashboard migrate)."
        )
        return outcome
    outcome.message = (
        f"{outcome.kept} of ours: {outcome.created} new, {outcome.updated} changed, "
        f"{outcome.uninstalled} uninstalled"
    )
    return outcome


def _run_status(outcomes: list[AccountOutcome]) -> RunStatus:
    failed = sum(not outcome.ok for outcome in outcomes)
    if failed == 0:
        return RunStatus.SUCCEEDED
    return RunStatus.FAILED if failed == len(outcomes) else RunStatus.PARTIAL


def _record_on_connection(
    session: Session, connection_id: int, outcome: AccountOutcome, now: datetime
) -> None:
    connection = session.get(ZendeskConnection, connection_id)
    if connection is None:
        return
    if outcome.ok:
        connection.last_synced_at = now
        connection.last_error = None
    else:
        connection.last_error = outcome.message[:2000]
    session.add(connection)


def sync_installations(
    session: Session,
    gateway: ZendeskGateway,
    *,
    actor: Actor,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> SyncResult:
    """Sync every enabled connection; returns the run with one outcome per Zendesk account."""
    now = now or utcnow()
    run = SyncRun(kind=SYNC_KIND, status=RunStatus.RUNNING, started_at=now, triggered_by=actor.email)
    session.add(run)
    session.flush()
    app_ids = company_app_ids(session)
    connections = enabled_credentials(session)
    outcomes: list[AccountOutcome] = []
    run_budget = gateway.run_budget()
    for done, credentials in enumerate(connections):
        if progress:
            progress(done, len(connections), credentials.subdomain)
        outcome = _sync_one(session, gateway, credentials, app_ids, now, run_budget)
        _record_on_connection(session, credentials.id, outcome, now)
        outcomes.append(outcome)
    if progress:
        progress(len(connections), len(connections), "")
    totals = {
        name: sum(getattr(o, name) for o in outcomes)
        for name in ("fetched", "kept", "created", "updated", "uninstalled", "requests")
    }
    totals.update(accounts=len(outcomes), failed_accounts=sum(not o.ok for o in outcomes))
    run.status = _run_status(outcomes)
    run.finished_at = utcnow()
    run.counts = {"totals": totals, "accounts": [asdict(outcome) for outcome in outcomes]}
    run.message = (
        f"{len(outcomes)} Zendesk account(s), {totals['failed_accounts']} failed; "
        f"{totals['created']} new, {totals['updated']} changed, "
        f"{totals['uninstalled']} uninstalled"
    )
    run.error = "; ".join(f"{o.subdomain}: {o.message}" for o in outcomes if not o.ok)[:4000] or None
    session.add(run)
    audit.record(session, actor, "zendesk_sync", target_type="sync_run", target_id=run.id, details=totals)
    return SyncResult(run.id, run.status, outcomes)


def run_zendesk_sync(
    engine: Engine, gateway: ZendeskGateway, *, actor: Actor, progress: Progress | None = None
) -> SyncResult:
    """`sync_installations` in its own transaction, one run at a time (`JobLocked` otherwise); when it
    fails unexpectedly (a database error, a bug), the failed run and its audit row are still recorded."""
    with job_lock(engine, ZENDESK_JOB, holder=actor.email):
        close_abandoned_runs(engine, (SYNC_KIND,))
        started = utcnow()
        try:
            with session_scope(engine) as session:
                return sync_installations(session, gateway, actor=actor, progress=progress, now=started)
        except BaseException as error:
            log.exception("Zendesk sync failed unexpectedly")
            run_id = record_failed_run(
                engine, kind=SYNC_KIND, action="zendesk_sync", actor=actor, started_at=started, error=error
            )
            if not isinstance(error, Exception):
                raise
            return SyncResult(run_id, RunStatus.FAILED, [], error=describe_error(error))


def gateway_from_settings() -> ZendeskGateway:
    settings = get_settings()
    return ZendeskGateway(
        timeout=settings.zendesk_timeout_seconds,
        ratelimit_budget=settings.zendesk_ratelimit_budget_seconds,
        run_ratelimit_budget=settings.zendesk_run_ratelimit_budget_seconds,
        requests_per_minute=settings.zendesk_requests_per_minute,
        comment_workers=settings.zendesk_comment_workers,
        deletion_check_window=settings.zendesk_deletion_check_window_seconds,
        api_base=settings.zendesk_api_base,
    )


def latest_run(session: Session) -> SyncRun | None:
    """The newest Zendesk sync run; its `counts["accounts"]` holds one outcome per Zendesk account."""
    return session.exec(
        select(SyncRun)
        .where(SyncRun.kind == SYNC_KIND)
        .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
        .limit(1)
    ).first()
