"""Running an export: start it, collect source by source, package, retry failed sources, download, purge.

Each source's collected records are kept beside the ZIP (owner-only JSON parts), so a retry fetches only
the sources that failed and re-packages. The store is re-read on every run: it is local, and its usage
events are attributed through the Zendesk users found, which a Zendesk retry may have just supplied.
"""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from dashboard.access.identity import Actor
from dashboard.billing.stripe_gateway import StripeGatewayError
from dashboard.core import audit
from dashboard.core.errors import ValidationError
from dashboard.core.settings import get_settings
from dashboard.privacy.exports.package import build_zip, ensure_private_dir, sha256, write_private
from dashboard.privacy.exports.parts import Progress, SourcePart, no_progress
from dashboard.privacy.exports.store import collect_store
from dashboard.privacy.exports.stripe import collect_stripe
from dashboard.privacy.exports.systems import SYSTEM_LABELS, Systems
from dashboard.privacy.exports.zendesk import CommentCheckpoint, collect_zendesk
from dashboard.privacy.requests import get_request
from dashboard.privacy.states import OPEN_STATUSES
from dashboard.zendesk.gateway import ZendeskAccountError
from models import DataExport, PrivacyRequest
from models.types import utcnow

SOURCE_ORDER = ("zendesk", "stripe", "store")  # the store last: usage is attributed via Zendesk user ids
EXPORT_TYPES = ("access", "portability")
RETRYABLE = ("failed", "not_configured")


# --- files ------------------------------------------------------------------------------------------------


def exports_dir() -> Path:
    return ensure_private_dir(get_settings().exports_dir)


def _parts_dir(export_id: int) -> Path:
    return ensure_private_dir(exports_dir() / f"export-{export_id}")


def _save_part(export_id: int, source: str, part: SourcePart) -> None:
    data = json.dumps(part.to_json(), ensure_ascii=False, default=str).encode()
    write_private(_parts_dir(export_id) / f"{source}.json", data)


def _load_part(export_id: int, source: str) -> SourcePart | None:
    path = exports_dir() / f"export-{export_id}" / f"{source}.json"
    return SourcePart.from_json(json.loads(path.read_text())) if path.exists() else None


def export_path(export: DataExport) -> Path | None:
    return exports_dir() / export.file_name if export.file_name else None


# --- reading ---------------------------------------------------------------------------------------------


def get_export(session: Session, export_id: int) -> DataExport:
    export = session.get(DataExport, export_id)
    if export is None:
        raise ValidationError(f"There is no export #{export_id}.", field="export")
    return export


def list_exports(
    session: Session, actor: Actor, *, request_id: int, now: datetime | None = None
) -> list[DataExport]:
    """The request's exports, newest first; any that expired are purged first (files deleted, audited)."""
    exports = list(
        session.exec(
            select(DataExport).where(DataExport.request_id == request_id).order_by(DataExport.id.desc())
        ).all()
    )
    for export in exports:
        if _is_expired(export, now or utcnow()):
            _purge(session, actor, export, now or utcnow())
    return exports


def near_matches(export: DataExport) -> list[dict[str, Any]]:
    return [match for info in export.sources.values() for match in info.get("near_matches") or []]


# --- building --------------------------------------------------------------------------------------------


def check_exportable(request: PrivacyRequest) -> None:
    if request.type not in EXPORT_TYPES:
        raise ValidationError("Exports answer access and portability requests.", field="request")
    if request.status != "in_progress":
        raise ValidationError(
            "Confirm the subject's identity (request in progress) before exporting: the "
            "export is matched on the verified email.",
            field="request",
        )
    if request.is_processor and not request.client_instruction:
        raise ValidationError(
            "Record the client's instruction first: as their processor we act only on it.", field="request"
        )


def start_export(session: Session, actor: Actor, *, request_id: int) -> DataExport:
    request = get_request(session, request_id)
    check_exportable(request)
    export = DataExport(
        request_id=request.id,
        status="building",
        created_by=actor.email,
        sources={name: {"status": "pending"} for name in SOURCE_ORDER},
    )
    session.add(export)
    session.flush()
    audit.record(
        session,
        actor,
        "data_export_started",
        target_type="data_export",
        target_id=export.id,
        account_id=request.account_id,
        details={"request_id": request.id},
    )
    return export


def collect(
    session: Session,
    actor: Actor,
    *,
    export_id: int,
    systems: Systems,
    progress_for: Callable[[str], Progress] | None = None,
    only: set[str] | None = None,
) -> DataExport:
    """Fetch the sources (all, or `only` those plus the local store), then package the ZIP."""
    export = get_export(session, export_id)
    if export.deleted_at is not None:
        raise ValidationError("This export expired and was deleted; start a new one.", field="export")
    request = get_request(session, export.request_id)
    check_exportable(request)
    sources = {name: dict(info) for name, info in export.sources.items()}
    for source in SOURCE_ORDER:
        if only is not None and source not in only and source != "store":
            continue
        progress = progress_for(source) if progress_for else no_progress
        previous = sources.get(source, {})
        sources[source] = {
            **_fetch(session, export.id, request, source, systems, progress),
            "attempts": int(previous.get("attempts", 0)) + 1,
        }
    _package(export, request, sources)
    session.add(export)
    action = "data_export_built" if only is None else "data_export_retried"
    audit.record(
        session,
        actor,
        action,
        target_type="data_export",
        target_id=export.id,
        account_id=request.account_id,
        details={
            "request_id": request.id,
            "status": export.status,
            "sha256": export.sha256,
            "sources": {name: info["status"] for name, info in sources.items()},
        },
    )
    session.flush()
    return export


def retry_failed(
    session: Session,
    actor: Actor,
    *,
    export_id: int,
    systems: Systems,
    progress_for: Callable[[str], Progress] | None = None,
) -> DataExport:
    """Fetch again only the sources that failed or were not configured, and re-package."""
    export = get_export(session, export_id)
    failed = {name for name, info in export.sources.items() if info.get("status") in RETRYABLE}
    if not failed:
        raise ValidationError(
            "Every source of this export was read; there is nothing to retry.", field="export"
        )
    return collect(
        session, actor, export_id=export_id, systems=systems, progress_for=progress_for, only=failed
    )


def _fetch(
    session: Session,
    export_id: int,
    request: PrivacyRequest,
    source: str,
    systems: Systems,
    progress: Progress,
) -> dict[str, Any]:
    email = request.subject_email
    try:
        if source == "zendesk":
            if not systems.zendesk:
                return _not_configured(systems, source)
            checkpoint = CommentCheckpoint(_parts_dir(export_id) / "zendesk-comments.jsonl")
            part = collect_zendesk(systems.zendesk, email, progress, checkpoint)
            checkpoint.clear()
        elif source == "stripe":
            if systems.stripe is None:
                return _not_configured(systems, source)
            part = collect_stripe(systems.stripe, email, progress)
        else:
            zendesk = _load_part(export_id, "zendesk")
            part = collect_store(session, email, zendesk.identities if zendesk else [], progress)
    except StripeGatewayError as error:
        return {"status": "failed", "error": f"Stripe: {error.message}"}
    except ZendeskAccountError as error:
        return {"status": "failed", "error": f"Zendesk ({error.subdomain}): {error.message}"}
    _save_part(export_id, source, part)
    return {
        "status": "done",
        "error": None,
        "counts": part.counts(),
        "near_matches": part.near_matches,
        "fetched_at": utcnow().isoformat(),
        **(_zendesk_reach(systems, part) if source == "zendesk" else {}),
    }


def _zendesk_reach(systems: Systems, part: SourcePart) -> dict[str, Any]:
    """How many Zendesk accounts were searched and the ones the subject was found in (for the page)."""
    return {
        "accounts_searched": len(systems.zendesk),
        "found_in": sorted({identity["subdomain"] for identity in part.identities}),
    }


def _not_configured(systems: Systems, source: str) -> dict[str, Any]:
    return {
        "status": "not_configured",
        "error": systems.unavailable.get(source, f"{SYSTEM_LABELS[source]} is not configured."),
    }


def _package(export: DataExport, request: PrivacyRequest, sources: dict[str, dict[str, Any]]) -> None:
    now = utcnow()
    parts = {
        name: part
        for name in SOURCE_ORDER
        if sources[name]["status"] == "done" and (part := _load_part(export.id, name)) is not None
    }
    data = build_zip(
        request_id=request.id,
        export_id=export.id,
        generated_at=now,
        parts=parts,
        sources={name: sources[name] for name in SOURCE_ORDER},
    )
    old = export_path(export)
    name = f"export-{request.id}-{export.id}-{secrets.token_hex(8)}.zip"
    write_private(exports_dir() / name, data)
    if old is not None and old.exists():
        old.unlink()
    reasons = [
        f"{SYSTEM_LABELS[n]}: {sources[n].get('error')}"
        for n in SOURCE_ORDER
        if sources[n]["status"] != "done"
    ]
    export.sources = sources
    export.file_name, export.size_bytes, export.sha256 = name, len(data), sha256(data)
    export.status = "incomplete" if reasons else "complete"
    export.incomplete_reason = "; ".join(reasons) or None
    export.expires_at = now + timedelta(days=get_settings().export_expiry_days)


# --- downloads and expiry --------------------------------------------------------------------------------


def _is_expired(export: DataExport, now: datetime) -> bool:
    return export.deleted_at is None and export.expires_at is not None and export.expires_at <= now


def download(
    session: Session, actor: Actor, *, export_id: int, now: datetime | None = None
) -> tuple[str, bytes]:
    """The ZIP's name and bytes; every download is counted and audited. An expired export is purged."""
    now = now or utcnow()
    export = get_export(session, export_id)
    if _is_expired(export, now):
        _purge(session, actor, export, now)
    if export.deleted_at is not None:
        raise ValidationError(
            "This export expired and its file was deleted; build a new one.", field="export"
        )
    path = export_path(export)
    if path is None or not path.exists():
        raise ValidationError("The export's file is missing; build a new export.", field="export")
    data = path.read_bytes()
    export.download_count += 1
    session.add(export)
    audit.record(
        session,
        actor,
        "data_export_downloaded",
        target_type="data_export",
        target_id=export.id,
        details={"request_id": export.request_id, "sha256": sha256(data), "download": export.download_count},
    )
    return f"privacy-request-{export.request_id}-export-{export.id}.zip", data


# A build still "building" this long after it started was interrupted (a crash, a closed tab): its parts
# (stripe.json, zendesk.json: personal data) would otherwise stay on disk with no expiry.
STALE_BUILD_AFTER = timedelta(days=1)


def purgeable(session: Session, *, now: datetime) -> list[DataExport]:
    """Exports whose files must go: past their expiry, or builds interrupted `STALE_BUILD_AFTER` ago."""
    stale_build = and_(DataExport.status == "building", DataExport.created_at <= now - STALE_BUILD_AFTER)
    return list(
        session.exec(
            select(DataExport)
            .where(DataExport.deleted_at.is_(None), or_(DataExport.expires_at <= now, stale_build))
            .order_by(DataExport.id)
        ).all()
    )


def purge_expired(
    session: Session, actor: Actor, *, now: datetime | None = None, dry_run: bool = False
) -> list[int]:
    """Delete the files of every purgeable export; returns their ids (a dry run deletes nothing)."""
    now = now or utcnow()
    due = purgeable(session, now=now)
    if not dry_run:
        for export in due:
            _purge(session, actor, export, now)
    return [export.id for export in due]


def _purge(session: Session, actor: Actor, export: DataExport, now: datetime) -> None:
    path = export_path(export)
    if path is not None:
        path.unlink(missing_ok=True)
    shutil.rmtree(exports_dir() / f"export-{export.id}", ignore_errors=True)
    reason = "stale build" if export.status == "building" else "expired"
    export.status, export.deleted_at = "expired", now
    session.add(export)
    audit.record(
        session,
        actor,
        "data_export_purged",
        target_type="data_export",
        target_id=export.id,
        details={
            "request_id": export.request_id,
            "reason": reason,
            "expired_at": export.expires_at.isoformat() if export.expires_at else None,
        },
    )


def request_choices(session: Session) -> dict[int, str]:
    """Open access, portability and deletion requests as {id: "#id · type · email"}, newest first."""
    rows = session.exec(
        select(PrivacyRequest.id, PrivacyRequest.type, PrivacyRequest.subject_email)
        .where(PrivacyRequest.type.in_((*EXPORT_TYPES, "deletion")), PrivacyRequest.status.in_(OPEN_STATUSES))
        .order_by(PrivacyRequest.id.desc())
    ).all()
    return {request_id: f"#{request_id} · {kind} · {email}" for request_id, kind, email in rows}
