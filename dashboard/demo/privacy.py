"""Demo privacy requests: every type in every status across jurisdictions, some due today, some overdue,
processor requests with and without the client's instruction, a likely duplicate, an extension.

Reads the contacts, accounts and officers that the core step put in the store. Dates are relative to
`ctx.now`, so "due today" is today on the day the demo is seeded. Nothing is written here: each request
is planned as the officer's intake and the steps that followed it (`RequestPlan`), which the history step
carries out through `dashboard/privacy/requests.py` (and the export and deletion services) at their instants.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from dashboard.demo.context import DemoContext
from dashboard.privacy import deadlines
from dashboard.privacy.states import OPEN_STATUSES, STATUS_LABELS
from models import Account, Contact, User
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
OFFICER = "privacy@demo.example"
FORWARD_NOTE = "Sent to the client's privacy contact."
# Past exports and deletions the demo shows (the first completed requests of those types that qualify).
EXPORTS = 3
DELETIONS = 2


@dataclass
class _People:
    contacts: list[tuple[int, int, str, str]]  # id, account_id, name, email; oldest first
    contacts_since: list[datetime]  # when each contact was added
    account_ids: list[int]  # oldest first
    accounts_since: list[datetime]
    officer_ids: list[int]
    opted_out: list[str]  # emails of contacts who opted out of marketing before any request


@dataclass(frozen=True)
class RequestStep:
    """One thing the officer did to the request: `action` names the console function, `fields` its inputs."""

    at: datetime
    action: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class RequestPlan:
    at: datetime  # when the officer logged it
    intake: dict[str, Any]  # `requests.create_request`'s inputs
    steps: list[RequestStep] = field(default_factory=list)


def generate(ctx: DemoContext) -> None:
    people = _read_people(ctx)
    plans: list[RequestPlan] = []
    opted_out = set(people.opted_out)  # a subject opts out once; a later opt-out finds nothing to do
    today = ctx.now.date()
    for spec in _showcase(today):
        plans.append(_plan(ctx, plans, people, opted_out, **spec))
    while len(plans) < ctx.size.privacy_requests:
        plans.append(_plan(ctx, plans, people, opted_out, **_random_spec(ctx, today)))
    _add_exports_and_deletions(plans)
    ctx.shared["privacy_requests"] = plans


def _read_people(ctx: DemoContext) -> _People:
    with ctx.engine.connect() as conn:
        contact_rows = conn.execute(
            select(Contact.id, Contact.account_id, Contact.name, Contact.email, Contact.created_at).order_by(
                Contact.created_at, Contact.id
            )
        ).all()
        opted_out = list(conn.execute(select(Contact.email).where(Contact.marketing_opt_out)).scalars())
        account_rows = conn.execute(
            select(Account.id, Account.created_at).order_by(Account.created_at, Account.id)
        ).all()
        officers = list(
            conn.execute(
                select(User.id).where(User.role.in_(("privacy_officer", "admin"))).order_by(User.id)
            ).scalars()
        )
    if not contact_rows or not account_rows:
        raise RuntimeError("The privacy demo step needs the core step's accounts and contacts.")
    return _People(
        [tuple(r[:4]) for r in contact_rows],
        [r[4] for r in contact_rows],
        [r[0] for r in account_rows],
        [r[1] for r in account_rows],
        officers,
        opted_out,
    )


def _added_before(items: list[Any], since: list[datetime], day: date) -> list[Any]:
    """The items (oldest first, added at `since`) that were in the store before `day` began."""
    return items[: bisect_left(since, datetime.combine(day, time(0), tzinfo=UTC))]


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


def _plan(
    ctx: DemoContext,
    plans: list[RequestPlan],
    people: _People,
    opted_out: set[str],
    *,
    kind: str,
    status: str,
    jurisdiction: str,
    received_on: date,
    processor: bool = False,
    extended: bool = False,
    duplicate_of_previous: bool = False,
) -> RequestPlan:
    rng = ctx.rng
    # a request is about someone the store knew when it came in
    received_on = max(received_on, people.accounts_since[0].date() + timedelta(days=1))
    previous = plans[-1].intake if plans else None
    if duplicate_of_previous and previous and previous["subject_kind"] == "customer_contact":
        name, email, account_id = previous["subject_name"], previous["subject_email"], None
    else:
        contact = rng.choice(_added_before(people.contacts, people.contacts_since, received_on))
        name, email, account_id = contact[2], contact[3], None
        if processor:
            first = rng.choice(END_USER_FIRST)
            name = first.capitalize() + " " + contact[2].split()[-1]
            email = f"{first}.{len(plans) + 1}@mail.example"
            account_id = rng.choice(_added_before(people.account_ids, people.accounts_since, received_on))
    created = min(_noon(received_on, hours=rng.randint(-3, 5)), ctx.now - timedelta(hours=1))
    intake = {
        "type": kind,
        "subject_name": name,
        "subject_email": email,
        "subject_kind": "end_user" if processor else "customer_contact",
        "account_id": account_id,
        "jurisdiction": jurisdiction,
        "jurisdiction_reason": "Where the subject told us they live.",
        "received_on": received_on,
        "channel": rng.choice(CHANNELS),
    }
    steps: list[tuple[timedelta, str, dict[str, Any]]] = []
    rule = deadlines.rule_for(jurisdiction)
    found = deadlines.initial_deadlines(jurisdiction, received_on=received_on)
    if people.officer_ids and (status != "new" or rng.random() < 0.5):
        steps.append((timedelta(hours=2), "assign", {"assignee_id": rng.choice(people.officer_ids)}))
    if rule.acknowledge_period and status != "new":
        steps.append((timedelta(days=rng.randint(0, 5), hours=1), "acknowledge", {}))
    if processor and status != "new":
        steps.append((timedelta(hours=3), "forward_to_client", {"note": FORWARD_NOTE}))
        if status != "awaiting_client":
            instruction = {"instruction": rng.choice(INSTRUCTIONS)}
            steps.append((timedelta(days=1), "record_client_instruction", instruction))
    if extended and rule.extendable and not processor and status not in ("new", "awaiting_client"):
        steps.append((timedelta(days=2), "extend", {"reason": rng.choice(EXTENSION_REASONS)}))
    opts_out = kind == "opt_out" and status == "completed" and not processor and email not in opted_out
    if opts_out:
        opted_out.add(email)
    steps += _status_steps(ctx, status, processor=processor, due=found.due_on - received_on, opt_out=opts_out)
    return RequestPlan(created, intake, _spread(created, steps, until=ctx.now - timedelta(minutes=10)))


def _status_steps(
    ctx: DemoContext, status: str, *, processor: bool, due: timedelta, opt_out: bool
) -> list[tuple[timedelta, str, dict[str, Any]]]:
    """The status changes that lead to `status` (after the intake, assignment and forwarding)."""
    rng = ctx.rng
    if status in ("new", "awaiting_client") or (processor and status == "in_progress"):
        return []
    if status in OPEN_STATUSES:
        return [(timedelta(hours=1), "change_status", {"status": status})]
    window = max(1, due.days)
    answered = timedelta(hours=24 * rng.randint(1, window) + rng.randint(-2, 4))
    steps: list[tuple[timedelta, str, dict[str, Any]]] = []
    if status == "completed" and not processor:
        steps.append((timedelta(hours=1), "change_status", {"status": "in_progress"}))
    if opt_out:
        steps.append((timedelta(minutes=20), "opt_out", {}))
    final: dict[str, Any] = {"status": status}
    if status == "denied":
        final.update(reason=rng.choice(DENIAL_REASONS), appeal_info=APPEAL_INFO)
    steps.append((max(answered, timedelta(minutes=30)), "change_status", final))
    return steps


def _spread(
    start: datetime, gaps: list[tuple[timedelta, str, dict[str, Any]]], *, until: datetime
) -> list[RequestStep]:
    """The steps at `start` plus their gaps, squeezed proportionally to end by `until` (recent requests
    had less time)."""
    total = sum((gap for gap, _action, _fields in gaps), timedelta())
    room = until - start
    scale = min(1.0, room / total) if total > timedelta() else 1.0
    steps, at = [], start
    for gap, action, fields in gaps:
        at += max(gap * scale, timedelta(seconds=1))
        steps.append(RequestStep(at.replace(microsecond=0), action, fields))
    return steps


def _add_exports_and_deletions(plans: list[RequestPlan]) -> None:
    """Before the first few completed access requests were answered, their data was exported; before the
    first completed deletion requests were closed, their data was deleted (while in progress)."""
    shown = ((("access", "portability"), "export", EXPORTS), (("deletion",), "delete", DELETIONS))
    emails = Counter(plan.intake["subject_email"] for plan in plans)  # a deleted subject has no later request
    for types, action, limit in shown:
        chosen = [
            plan
            for plan in plans
            if plan.intake["type"] in types
            and (action == "export" or emails[plan.intake["subject_email"]] == 1)
            and plan.intake["subject_kind"] == "customer_contact"
            and plan.steps
            and plan.steps[-1].fields.get("status") == "completed"
        ][:limit]
        for plan in chosen:
            closing = plan.steps[-1]
            before = plan.steps[-2].at if len(plan.steps) > 1 else plan.at
            at = before + (closing.at - before) / 2
            plan.steps.insert(-1, RequestStep(at.replace(microsecond=0), action))
