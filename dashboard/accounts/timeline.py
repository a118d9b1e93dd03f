"""One list of everything that happened to an account, newest first: Stripe objects and events,
billing corrections, installs and uninstalls, privacy requests and the audit rows.

Built from Account 360's rows (already masked for executives) plus the Stripe events received for the
account's objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from dashboard.accounts.account360 import Account360
from dashboard.presentation.text import money, words
from models import StripeWebhookEvent

TIMELINE_LIMIT = 1000


class Source(StrEnum):
    STRIPE = "Stripe"
    CORRECTION = "Billing correction"
    ZENDESK = "Zendesk"
    PRIVACY = "Privacy"
    AUDIT = "Audit log"


@dataclass(frozen=True)
class Entry:
    at: datetime
    source: Source
    event: str
    detail: str = ""


def _when(*pairs: tuple[datetime | None, str]) -> list[tuple[datetime, str]]:
    return [(at, text) for at, text in pairs if at is not None]


def _stripe(view: Account360) -> list[Entry]:
    entries: list[Entry] = []
    for s in view.subscriptions:
        name = " ".join(part for part in (s["app"], s["plan"]) if part) or s["id"]
        for at, text in _when(
            (s["created"], "Subscription started"), (s["canceled_at"], "Subscription canceled")
        ):
            entries.append(Entry(at, Source.STRIPE, text, f"{name} · {s['id']}"))
    for i in view.invoices:
        total = money(i["total"], i["currency"])
        for at, text in _when((i["created"], "Invoice issued"), (i["paid_at"], "Invoice paid")):
            entries.append(Entry(at, Source.STRIPE, text, f"{i['number'] or i['id']} · {total}"))
    for p in view.payments:
        if p["created"] is not None:
            entries.append(
                Entry(
                    p["created"],
                    Source.STRIPE,
                    f"Payment {words(p['status']).lower()}",
                    f"{money(p['amount'], p['currency'])} · {p['id']}",
                )
            )
    for r in view.refunds:
        if r["created"] is not None:
            entries.append(
                Entry(
                    r["created"], Source.STRIPE, "Refund", f"{money(r['amount'], r['currency'])} · {r['id']}"
                )
            )
    for n in view.credit_notes:
        if n["created"] is not None:
            entries.append(
                Entry(
                    n["created"],
                    Source.STRIPE,
                    "Credit note",
                    f"{n['number'] or n['id']} · {money(n['amount'], n['currency'])}",
                )
            )
    return entries


def _stripe_events(session: Session, view: Account360) -> list[Entry]:
    ids = [
        row["id"]
        for rows in (
            view.customers,
            view.subscriptions,
            view.invoices,
            view.payments,
            view.refunds,
            view.credit_notes,
        )
        for row in rows
    ]
    if not ids:
        return []
    events = session.exec(
        select(StripeWebhookEvent)
        .where(col(StripeWebhookEvent.object_id).in_(ids))
        .order_by(col(StripeWebhookEvent.created).desc())
        .limit(TIMELINE_LIMIT)
    )
    return [
        Entry(
            e.created, Source.STRIPE, f"Stripe event {e.type}", f"{e.object_id} · {words(e.status).lower()}"
        )
        for e in events
    ]


def _corrections(view: Account360) -> list[Entry]:
    entries: list[Entry] = []
    for c in view.billing_corrections:
        what = f"#{c['id']} {words(c['kind']).lower()}"
        if c["amount"] is not None:
            what += f" {money(c['amount'], c['currency'])}"
        for at, text in _when(
            (c["requested_at"], f"Correction requested by {c['requested_by'] or '—'}"),
            (c["decided_at"], f"Correction decided by {c['decided_by'] or '—'}"),
            (c["executed_at"], "Correction executed in Stripe"),
        ):
            entries.append(Entry(at, Source.CORRECTION, text, f"{what} · now {words(c['status']).lower()}"))
    return entries


def _installs(view: Account360) -> list[Entry]:
    entries: list[Entry] = []
    for i in view.installations:
        name = i["app"] or f"App {i['app_id']}"
        for at, text in _when((i["installed_at"], "App installed"), (i["uninstalled_at"], "App uninstalled")):
            entries.append(Entry(at, Source.ZENDESK, text, name))
    return entries


def _privacy(view: Account360) -> list[Entry]:
    entries: list[Entry] = []
    for r in view.privacy_requests:
        what = f"#{r['id']} {words(r['type']).lower()} · {r['subject_name'] or '—'}"
        for at, text in _when(
            (r["created_at"], "Privacy request logged"), (r["completed_at"], "Privacy request completed")
        ):
            entries.append(Entry(at, Source.PRIVACY, text, what))
    return entries


def _audit(view: Account360) -> list[Entry]:
    def detail(row: dict[str, Any]) -> str:
        target = f" · {words(row['target_type'])} {row['target_id']}" if row["target_type"] else ""
        return f"by {row['actor'] or '—'}{target}".rstrip()

    return [Entry(a["at"], Source.AUDIT, words(a["action"]), detail(a)) for a in view.audit]


def account_timeline(session: Session, view: Account360) -> list[Entry]:
    """Every entry, newest first (at most `TIMELINE_LIMIT`)."""
    entries = [
        *_stripe(view),
        *_stripe_events(session, view),
        *_corrections(view),
        *_installs(view),
        *_privacy(view),
        *_audit(view),
    ]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:TIMELINE_LIMIT]


def timeline_rows(entries: list[Entry]) -> list[dict[str, Any]]:
    return [{"at": e.at, "source": str(e.source), "event": e.event, "detail": e.detail} for e in entries]
