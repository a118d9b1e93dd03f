"""The "Exports and deletions" page as data: the request picked, its exports or deletion steps as rows,
and, for each action that cannot succeed yet, the reason shown beside its disabled button."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from sqlmodel import Session

from dashboard.access.identity import Actor
from dashboard.core.errors import ValidationError
from dashboard.core.ids import parse_id
from dashboard.presentation.columns import Column, Columns, Kind
from dashboard.privacy.deletions import plan as planning
from dashboard.privacy.deletions import steps as deletion
from dashboard.privacy.exports import service
from dashboard.privacy.exports.systems import SYSTEM_LABELS, Systems, accounts_count, accounts_summary
from dashboard.privacy.requests import get_request
from models import PrivacyRequest

EXPORT_COLUMNS: Columns = {
    "id": Column("Export", Kind.COUNT),
    "status": Column("Status", Kind.ENUM),
    "created_at": Column("Created", Kind.DATETIME),
    "expires_at": Column("Expires", Kind.DATETIME),
    "size_kb": Column("Size (KB)", Kind.NUMBER),
    "downloads": Column("Downloads", Kind.COUNT),
    "cut_short": Column("Cut short"),
}

PLAN_COLUMNS: Columns = {
    "system": Column("System"),
    "action": Column("Action", Kind.ENUM),
    "what": Column("What"),
    "why": Column("Why"),
}

STEP_COLUMNS: Columns = {
    "system": Column("System"),
    "status": Column("Status", Kind.ENUM),
    "attempts": Column("Attempts", Kind.COUNT),
    "done_by": Column("Done by"),
    "finished_at": Column("Finished", Kind.DATETIME),
    "verified_at": Column("Verified", Kind.DATETIME),
    "last_error": Column("Last error"),
}


@dataclass(frozen=True)
class DownloadableExport:
    id: int
    retryable: bool  # incomplete: its failed sources can be fetched again
    near_matches: list[dict]


@dataclass(frozen=True)
class ExportsScreen:
    choices: dict[int, str]  # open access, portability and deletion requests
    request: PrivacyRequest | None
    problem: str | None = None  # the request asked for in the address cannot be shown
    build_blocked: str | None = None  # why "Build export" cannot succeed now
    exports: pd.DataFrame = field(default_factory=pd.DataFrame)
    downloadable: list[DownloadableExport] = field(default_factory=list)
    plan_blocked: str | None = None  # why no deletion plan can be prepared or confirmed now
    steps: pd.DataFrame = field(default_factory=pd.DataFrame)
    waiting_step_ids: list[int] = field(default_factory=list)
    failed_steps: dict[int, str] = field(default_factory=dict)  # step id → system label
    zendesk_reach: dict[str, Any] | None = None  # the newest export's Zendesk search (service._fetch)

    @property
    def wants_export(self) -> bool:
        return self.request is not None and self.request.type in service.EXPORT_TYPES

    @property
    def wants_deletion(self) -> bool:
        return self.request is not None and self.request.type == "deletion"


def blocked_by(check, request: PrivacyRequest) -> str | None:
    """The message of the ValidationError `check(request)` raises, or None when it passes."""
    try:
        check(request)
    except ValidationError as error:
        return error.message
    return None


def exports_screen(
    session: Session, actor: Actor, requested: str | None, *, now: datetime | None = None
) -> ExportsScreen:
    """`requested` is the address's `request` parameter; without one the newest open request is shown."""
    choices = service.request_choices(session)
    chosen = parse_id(requested)
    if requested is not None and chosen is None:
        return ExportsScreen(choices, None, problem="No such request.")
    picked = chosen if chosen is not None else next(iter(choices), None)
    if picked is None:
        return ExportsScreen(choices, None)
    try:
        request = get_request(session, picked)
    except ValidationError as error:
        return ExportsScreen(choices, None, problem=error.message)
    if request.type in service.EXPORT_TYPES:
        return _with_exports(session, actor, choices, request, now=now)
    if request.type == "deletion":
        return _with_deletion(session, choices, request)
    return ExportsScreen(choices, request)


def _with_exports(
    session: Session, actor: Actor, choices: dict[int, str], request: PrivacyRequest, *, now: datetime | None
) -> ExportsScreen:
    exports = service.list_exports(session, actor, request_id=request.id, now=now)  # purges expired ones
    rows = pd.DataFrame(
        [
            {
                "id": e.id,
                "status": e.status,
                "created_at": e.created_at,
                "expires_at": e.expires_at,
                "size_kb": round((e.size_bytes or 0) / 1024, 1),
                "downloads": e.download_count,
                "cut_short": e.incomplete_reason,
            }
            for e in exports
        ],
        columns=list(EXPORT_COLUMNS),
    )
    downloadable = [
        DownloadableExport(e.id, e.status == "incomplete", service.near_matches(e))
        for e in exports
        if e.deleted_at is None and e.file_name
    ]
    searched = [e.sources["zendesk"] for e in exports if "found_in" in e.sources.get("zendesk", {})]
    return ExportsScreen(
        choices,
        request,
        build_blocked=blocked_by(service.check_exportable, request),
        exports=rows,
        downloadable=downloadable,
        zendesk_reach=searched[0] if searched else None,
    )


def _with_deletion(session: Session, choices: dict[int, str], request: PrivacyRequest) -> ExportsScreen:
    steps = deletion.deletion_steps(session, request.id)
    rows = pd.DataFrame(
        [
            {
                "system": SYSTEM_LABELS[s.system],
                "status": s.status,
                "attempts": s.attempts,
                "done_by": s.done_by,
                "finished_at": s.finished_at,
                "verified_at": s.verified_at,
                "last_error": s.last_error,
            }
            for s in steps
        ],
        columns=list(STEP_COLUMNS),
    )
    return ExportsScreen(
        choices,
        request,
        plan_blocked=None if steps else blocked_by(deletion.check_deletable, request),
        steps=rows,
        waiting_step_ids=[s.id for s in steps if s.status not in deletion.FINISHED],
        failed_steps={s.id: SYSTEM_LABELS[s.system] for s in steps if s.status == "failed"},
    )


def systems_searched(systems: Systems, zendesk_reach: dict[str, Any] | None) -> str:
    """The systems an export or deletion reaches. Of Zendesk (one account per client, often a hundred and
    more) only how many accounts, and, once an export searched them, the ones the subject was found in."""
    reached = [SYSTEM_LABELS["store"]] + ([SYSTEM_LABELS["stripe"]] if systems.stripe else [])
    if systems.zendesk:
        reached.append(f"{SYSTEM_LABELS['zendesk']} ({_zendesk_reach(len(systems.zendesk), zendesk_reach)})")
    return "Systems searched: " + " · ".join(reached)


def _zendesk_reach(configured: int, reach: dict[str, Any] | None) -> str:
    if reach is None:
        return accounts_count(configured)
    searched = f"{accounts_count(reach['accounts_searched'])} searched"
    if not reach["found_in"]:
        return f"{searched}, the subject found in none"
    return f"found in {accounts_summary(reach['found_in'])}; {searched}"


def plan_rows(plan: planning.DeletionPlan) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"system": SYSTEM_LABELS[line.system], "action": line.action, "what": line.what, "why": line.why}
            for line in plan.lines
        ],
        columns=list(PLAN_COLUMNS),
    )


def confirm_blocked(plan: planning.DeletionPlan, *, cancellation_confirmed: bool) -> str | None:
    """Why "Confirm the plan" cannot succeed yet: open subscriptions not acknowledged."""
    if plan.open_subscriptions and not cancellation_confirmed:
        return "Tick the box above first: deleting the Stripe customer cancels its open subscriptions."
    return None
