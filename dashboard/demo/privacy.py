"""Demo privacy requests: every type in every status across jurisdictions, some due today, some overdue,
processor requests with and without the client's instruction, a likely duplicate, an extension.

Reads the contacts, accounts and officers that the core step put in the store. Dates are relative to
`ctx.now`, so "due today" is today on the day the demo is seeded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update

from dashboard.demo.context import DemoContext
from dashboard.privacy import deadlines
from dashboard.privacy.states import OPEN_STATUSES, STATUS_LABELS
from models import Account, Contact, PrivacyRequest, PrivacyRequestEvent, User
from models.privacy import REQUEST_TYPES

# The demo spreads its requests over these rules (deadline_rules.toml has them all).
DEMO_JURISDICTIONS = ("eu_gdpr", "uk_gdpr", "ccpa", "vcdpa", "lgpd", "other", "kvkk", "co_cpa", "pipeda")
CHANNELS = ("email", "email", "web_form", "web_form", "zendesk_ticket", "letter", "phone")
DENIAL_REASONS = (
    "Identity could not be verified after two requests for proof.",
    "Manifestly unfounded: the same request was answered last month.",
    "Legal hold: records needed for an open tax audit.",
)
APPEAL_INFO = "Reply to this email to appeal; you may also complain to your data protection authority."
EXTENSION_REASONS = ("Data spread across several Zendesk instances.", "Many requests from the same subject.")
INSTRUCTIONS = (
    "Client instructs: export the end user's tickets to the client's DPO.",
    "Client instructs: delete the end user's data from the app's store.",
    "Client instructs: no action; the client answers the subject itself.",
)
END_USER_FIRST = ("alex", "sam", "jo", "kim", "lee", "max", "noa", "ray")


@dataclass
class _People:
    contacts: list[tuple[int, int, str, str]]  # id, account_id, name, email
    account_ids: list[int]
    officer_ids: list[int]


@dataclass
class _Batch:
    requests: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    opt_outs: list[dict[str, Any]] = field(default_factory=list)


def generate(ctx: DemoContext) -> None:
    people = _read_people(ctx)
    batch = _Batch()
    today = ctx.now.date()
    for spec in _showcase(today):
        _add(ctx, batch, people, **spec)
    while len(batch.requests) < ctx.size.privacy_requests:
        _add(ctx, batch, people, **_random_spec(ctx, today))
    ctx.bulk_insert(PrivacyRequest, batch.requests)
    ctx.bulk_insert(PrivacyRequestEvent, batch.events)
    _apply_opt_outs(ctx, batch.opt_outs)
    ctx.shared["privacy_request_ids"] = [row["id"] for row in batch.requests]


def _read_people(ctx: DemoContext) -> _People:
    with ctx.engine.connect() as conn:
        contacts = [
            tuple(r)
            for r in conn.execute(
                select(Contact.id, Contact.account_id, Contact.name, Contact.email).order_by(Contact.id)
            )
        ]
        account_ids = list(conn.execute(select(Account.id).order_by(Account.id)).scalars())
        officers = list(
            conn.execute(
                select(User.id).where(User.role.in_(("privacy_officer", "admin"))).order_by(User.id)
            ).scalars()
        )
    if not contacts or not account_ids:
        raise RuntimeError("The privacy demo step needs the core step's accounts and contacts.")
    return _People(contacts, account_ids, officers)


def _showcase(today: date) -> list[dict[str, Any]]:
    """Hand-picked requests so every case is on screen, whatever the size."""
    specs: list[dict[str, Any]] = []
    for t_index, kind in enumerate(REQUEST_TYPES):
        for s_index, status in enumerate(STATUS_LABELS):
            specs.append(
                {
                    "kind": kind,
                    "status": status,
                    "jurisdiction": DEMO_JURISDICTIONS[(t_index + s_index) % len(DEMO_JURISDICTIONS)],
                    "received_on": today - timedelta(days=3 + 4 * s_index + t_index),
                    "processor": status == "awaiting_client",
                }
            )
    specs += [
        # due today: 45-day laws received 45 days ago, LGPD 15 days ago
        {
            "kind": "access",
            "status": "in_progress",
            "jurisdiction": "ccpa",
            "received_on": today - timedelta(45),
        },
        {"kind": "deletion", "status": "new", "jurisdiction": "vcdpa", "received_on": today - timedelta(45)},
        {
            "kind": "portability",
            "status": "verifying_identity",
            "jurisdiction": "lgpd",
            "received_on": today - timedelta(15),
        },
        # overdue
        {
            "kind": "deletion",
            "status": "in_progress",
            "jurisdiction": "lgpd",
            "received_on": today - timedelta(19),
        },
        {"kind": "access", "status": "new", "jurisdiction": "ccpa", "received_on": today - timedelta(50)},
        {
            "kind": "correction",
            "status": "verifying_identity",
            "jurisdiction": "other",
            "received_on": today - timedelta(40),
        },
        {
            "kind": "access",
            "status": "awaiting_client",
            "jurisdiction": "eu_gdpr",
            "processor": True,
            "received_on": today - timedelta(36),
        },
        # processor requests with the client's instruction
        {
            "kind": "deletion",
            "status": "in_progress",
            "jurisdiction": "eu_gdpr",
            "processor": True,
            "received_on": today - timedelta(9),
        },
        {
            "kind": "access",
            "status": "completed",
            "jurisdiction": "uk_gdpr",
            "processor": True,
            "received_on": today - timedelta(30),
        },
        # an extended request, and a likely duplicate pair
        {
            "kind": "portability",
            "status": "in_progress",
            "jurisdiction": "eu_gdpr",
            "extended": True,
            "received_on": today - timedelta(26),
        },
        {
            "kind": "access",
            "status": "new",
            "jurisdiction": "uk_gdpr",
            "received_on": today - timedelta(2),
            "duplicate_of_previous": True,
        },
        {
            "kind": "access",
            "status": "new",
            "jurisdiction": "uk_gdpr",
            "received_on": today - timedelta(1),
            "duplicate_of_previous": True,
        },
    ]
    return specs


def _random_spec(ctx: DemoContext, today: date) -> dict[str, Any]:
    rng = ctx.rng
    age = int(rng.triangular(0, 760, 30))
    if age <= 40 and rng.random() < 0.7:
        status = rng.choice(("new", "verifying_identity", "in_progress", "in_progress", "awaiting_client"))
    else:
        status = rng.choices(("completed", "denied", "withdrawn"), weights=(78, 12, 10))[0]
    return {
        "kind": rng.choices(REQUEST_TYPES, weights=(35, 10, 10, 30, 15))[0],
        "status": status,
        "jurisdiction": rng.choices(DEMO_JURISDICTIONS, weights=(30, 20, 25, 8, 7, 10, 4, 3, 3))[0],
        "received_on": today - timedelta(days=age),
        "processor": status == "awaiting_client" or rng.random() < 0.15,
        "extended": status in ("in_progress", "completed") and rng.random() < 0.05,
    }


def _noon(day: date, hours: float = 0) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC) + timedelta(hours=hours)


def _add(
    ctx: DemoContext,
    batch: _Batch,
    people: _People,
    *,
    kind: str,
    status: str,
    jurisdiction: str,
    received_on: date,
    processor: bool = False,
    extended: bool = False,
    duplicate_of_previous: bool = False,
) -> None:
    rng = ctx.rng
    request_id = len(batch.requests) + 1
    if duplicate_of_previous and batch.requests and not batch.requests[-1]["is_processor"]:
        previous = batch.requests[-1]
        contact = (
            previous["contact_id"],
            previous["account_id"],
            previous["subject_name"],
            previous["subject_email"],
        )
    else:
        contact = rng.choice(people.contacts)
    account_id = contact[1] if not processor else rng.choice(people.account_ids)
    name, email = contact[2], contact[3]
    if processor:
        first = rng.choice(END_USER_FIRST)
        name, email = first.capitalize() + " " + contact[2].split()[-1], f"{first}.{request_id}@mail.example"
    found = deadlines.initial_deadlines(jurisdiction, received_on=received_on)
    created = _noon(received_on, hours=rng.randint(-3, 5))
    row: dict[str, Any] = {
        "id": request_id,
        "type": kind,
        "status": status,
        "subject_name": name,
        "subject_email": email,
        "subject_kind": "end_user" if processor else "customer_contact",
        "is_processor": processor,
        "account_id": account_id,
        "contact_id": None if processor else contact[0],
        "jurisdiction": jurisdiction,
        "channel": rng.choice(CHANNELS),
        "notes": "",
        "received_on": received_on,
        "clock_started_on": received_on,
        "due_on": found.due_on,
        "acknowledge_by": found.acknowledge_by,
        "acknowledged_on": None,
        "extended": False,
        "extension_reason": None,
        "extension_notified_on": None,
        "assignee_id": None,
        "client_forwarded_at": None,
        "client_instruction": None,
        "client_instruction_at": None,
        "denial_reason": None,
        "appeal_info": None,
        "merged_into_id": None,
        "completed_at": None,
        "created_by": "privacy@demo.example",
        "created_at": created,
        "updated_at": created,
        "version": 1,
    }
    events = [_event(request_id, created, "created", "", {"type": kind, "jurisdiction": jurisdiction})]
    step = created
    if people.officer_ids and (status != "new" or rng.random() < 0.5):
        step += timedelta(hours=2)
        row["assignee_id"] = rng.choice(people.officer_ids)
        events.append(_event(request_id, step, "assigned", "Assigned.", {"to": row["assignee_id"]}))
    if found.acknowledge_by and status != "new":
        row["acknowledged_on"] = min(received_on + timedelta(days=rng.randint(1, 6)), ctx.now.date())
        events.append(_event(request_id, step, "acknowledged", "", {}))
    if processor and status != "new":
        step += timedelta(hours=3)
        row["client_forwarded_at"] = step
        events.append(
            _event(request_id, step, "forwarded_to_client", "Sent to the client's privacy contact.", {})
        )
        if status != "awaiting_client":
            step += timedelta(days=1)
            row["client_instruction"] = rng.choice(INSTRUCTIONS)
            row["client_instruction_at"] = step
            events.append(_event(request_id, step, "client_instruction", row["client_instruction"], {}))
    if extended and deadlines.rule_for(jurisdiction).extendable and not processor:
        notified = min(received_on + timedelta(days=10), ctx.now.date())
        row.update(
            extended=True,
            extension_reason=rng.choice(EXTENSION_REASONS),
            extension_notified_on=notified,
            due_on=deadlines.extended_deadline(
                jurisdiction, received_on=received_on, clock_started_on=received_on
            ),
        )
        events.append(_event(request_id, _noon(notified), "extended", row["extension_reason"], {}))
    if status not in ("new", "awaiting_client") and not (processor and status == "in_progress"):
        step = _close_or_progress(ctx, row, step)
        events.append(
            _event(
                request_id, step, "status_changed", row["denial_reason"] or "", {"from": "new", "to": status}
            )
        )
    if kind == "opt_out" and status == "completed" and row["contact_id"]:
        batch.opt_outs.append({"cid": row["contact_id"], "at": step})
    row["version"] = len(events)
    row["updated_at"] = step
    batch.requests.append(row)
    batch.events.extend(events)


def _close_or_progress(ctx: DemoContext, row: dict[str, Any], step: datetime) -> datetime:
    """Fill what the final status implies; returns when that status was reached."""
    status, rng = row["status"], ctx.rng
    if status in OPEN_STATUSES:
        return step + timedelta(hours=1)
    window = max(1, (row["due_on"] - row["received_on"]).days)
    answered = min(
        _noon(row["received_on"], hours=24 * rng.randint(1, window) + rng.randint(-2, 4)),
        ctx.now - timedelta(hours=1),
    )
    answered = max(answered, step + timedelta(minutes=30))
    if status in ("completed", "denied"):
        row["completed_at"] = answered
    if status == "denied":
        row["denial_reason"] = rng.choice(DENIAL_REASONS)
        row["appeal_info"] = APPEAL_INFO
    return answered


def _event(request_id: int, at: datetime, kind: str, text: str, details: dict[str, Any]) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "at": at,
        "actor": "privacy@demo.example",
        "kind": kind,
        "text": text,
        "details": details,
    }


def _apply_opt_outs(ctx: DemoContext, opt_outs: list[dict[str, Any]]) -> None:
    """Completed opt-out requests leave their contact opted out (one executemany, no ORM objects)."""
    if not opt_outs:
        return
    table = Contact.__table__
    statement = (
        update(table)
        .where(table.c.id == bindparam("cid"), table.c.marketing_opt_out.is_(False))
        .values(marketing_opt_out=True, marketing_opt_out_at=bindparam("at"))
    )
    with ctx.engine.begin() as conn:
        conn.execute(statement, opt_outs)
