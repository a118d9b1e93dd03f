"""Export benchmark: one subject with 10,000 usage events and 500 Zendesk tickets, against the fakes.

    python scripts/bench_privacy_export.py [--size small|large] [DATABASE_URL]

Seeds the demo data of the given size into an empty store (default small: the large build takes long
on a shared 2-core machine; a store that already holds data, e.g. a copy of one kept by
`scripts/benchmark.py`, is used as it is), adds the subject (a contact, 10,000 usage events under
the hash of their Zendesk user id, 500 requested tickets with 2 comments each in a fake Zendesk, a
Stripe customer with 12 paid invoices in a fake Stripe), then times the export per source, the
packaging, and the deletion steps.
Prints which size it used and seconds per step; no assertions.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session, select

from dashboard.access.identity import SYSTEM
from dashboard.billing.stripe_gateway import StripeGateway
from dashboard.core.db import make_engine, migrate
from dashboard.core.settings import reset_settings_cache
from dashboard.demo import seed_demo
from dashboard.privacy import requests
from dashboard.privacy.deletions import plan as planning
from dashboard.privacy.deletions import steps as deletion
from dashboard.privacy.exports import service
from dashboard.privacy.exports.systems import Systems, ZendeskTarget
from dashboard.simulators.stripe import TEST_KEY, StripeSimulator
from dashboard.simulators.zendesk import ZendeskSimulator
from dashboard.simulators.zendesk_people import add_ticket, add_user
from dashboard.usage.agents import AgentDirectory
from dashboard.usage.hashing import actor_hash_key, hash_actor
from dashboard.zendesk.gateway import ZendeskGateway
from models import Account, Contact, Installation, UsageEvent
from models.types import utcnow

EMAIL = "bench.subject@bench.example"
EVENTS, TICKETS, INVOICES = 10_000, 500, 12


def timed(label: str, work: Callable[[], object]) -> object:
    started = time.perf_counter()
    result = work()
    print(f"{label:<52} {time.perf_counter() - started:8.3f} s")
    return result


def add_subject(session: Session, stripe: StripeSimulator, zendesk: ZendeskSimulator) -> tuple[Account, int]:
    installation = session.exec(select(Installation).order_by(Installation.id).limit(1)).one()
    account = session.get(Account, installation.account_id)
    session.add(Contact(account_id=account.id, name="Bench Subject", email=EMAIL, job_title="Admin"))
    fake_account = zendesk.add_account(account.zendesk_subdomain)
    user = add_user(fake_account, name="Bench Subject", email=EMAIL)
    agent = add_user(fake_account, name="Agent Smith", email="agent@company.example", role="agent")
    add_user(fake_account, name="Near Match", email="bench.subject@bench.example.org")
    for number in range(TICKETS):
        add_ticket(
            fake_account,
            requester=user,
            subject=f"Question {number}",
            comments=[
                (user, f"Question {number}: how do I tag tickets?"),
                (agent, "Hi, Agent Smith here (agent@company.example): like this."),
            ],
        )
    actor = hash_actor(actor_hash_key(), account_id=account.id, actor=str(user["id"]))
    start = utcnow() - timedelta(days=30)
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
    agent_id = AgentDirectory(session.connection()).id_for(firefox)
    session.bulk_insert_mappings(
        UsageEvent,
        [
            {
                "event_id": f"export-subject-{n}",
                "installation_id": installation.id,
                "account_id": account.id,
                "app_id": installation.app_id,
                "feature": "apply_rule",
                "actor_hash": actor,
                "occurred_at": start + timedelta(minutes=4 * n),
                "ip_address": f"203.0.113.{n % 200}",
                "agent_id": agent_id,
            }
            for n in range(EVENTS)
        ],
    )
    customer = stripe.add_customer(email=EMAIL, name="Bench Subject")
    price = stripe.add_price(stripe.add_product("Ticket Tagger"), unit_amount=2900)
    subscription = stripe.add_subscription(customer, [(price, 3)])
    for _ in range(INVOICES):
        stripe.add_paid_invoice(subscription, amount=8700)
    session.commit()
    return account, user["id"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", choices=("small", "large"), default="small")
    parser.add_argument("url", nargs="?")
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    os.environ["DATA_DIR"] = folder
    reset_settings_cache()
    engine = make_engine(args.url or f"sqlite:///{folder}/bench.sqlite3")
    migrate(engine)
    with Session(engine) as session:
        already_seeded = session.exec(select(Account.id).limit(1)).first() is not None
    if already_seeded:  # e.g. the `large` store kept by scripts/benchmark.py --keep
        print(f"store ({engine.url.get_backend_name()}) already holds data: measuring on it as it is")
    else:
        print(f"demo size: {args.size}; store: {engine.url.get_backend_name()}")
        timed(f"seed demo data ({args.size})", lambda: seed_demo(engine, args.size))
    stripe, zendesk = StripeSimulator().start(), ZendeskSimulator().start()
    try:
        with Session(engine, expire_on_commit=False) as session:
            account, _ = timed(
                f"add the subject ({EVENTS:,} events, {TICKETS} tickets)",
                lambda: add_subject(session, stripe, zendesk),
            )
            client = ZendeskGateway(api_base=zendesk.base_url, timeout=10).client(
                subdomain=account.zendesk_subdomain, email="api@company.test", token="good-token"
            )
            systems = Systems(
                stripe=StripeGateway(TEST_KEY, api_base=stripe.url),
                zendesk=[ZendeskTarget(account.zendesk_subdomain, account.id, client)],
            )
            run_export(session, systems, zendesk)
            run_deletion(session, systems)
    finally:
        stripe.stop()
        zendesk.stop()


def run_export(session: Session, systems: Systems, zendesk: ZendeskSimulator) -> None:
    request = requests.create_request(
        session,
        SYSTEM,
        type="access",
        subject_name="Bench Subject",
        subject_email=EMAIL,
        jurisdiction="eu_gdpr",
        received_on=utcnow().date(),
    )
    requests.change_status(
        session, SYSTEM, request_id=request.id, expected_version=request.version, status="in_progress"
    )
    export = service.start_export(session, SYSTEM, request_id=request.id)
    session.commit()
    started: dict[str, float] = {}

    def progress_for(source: str) -> Callable[[float, str], None]:
        def mark(fraction: float, _text: str) -> None:
            if fraction == 0.0:
                started.setdefault(source, time.perf_counter())
            elif fraction >= 1.0 and source in started:
                print(f"  source {source:<43} {time.perf_counter() - started.pop(source):8.3f} s")

        return mark

    calls = len(zendesk.calls)
    timed(
        "export, whole (collect every source + package)",
        lambda: service.collect(
            session, SYSTEM, export_id=export.id, systems=systems, progress_for=progress_for
        ),
    )
    session.commit()
    print(
        f"  status {export.status}; ZIP {export.size_bytes / 1e6:.2f} MB; Zendesk calls "
        f"{len(zendesk.calls) - calls}; records: "
        + ", ".join(
            f"{k} {v:,}"
            for info in export.sources.values()
            for k, v in (info.get("counts") or {}).items()
            if v
        )
    )
    timed("download (read + audit)", lambda: service.download(session, SYSTEM, export_id=export.id))
    session.commit()


def run_deletion(session: Session, systems: Systems) -> None:
    request = requests.create_request(
        session,
        SYSTEM,
        type="deletion",
        subject_name="Bench Subject",
        subject_email=EMAIL,
        jurisdiction="eu_gdpr",
        received_on=utcnow().date(),
    )
    requests.change_status(
        session, SYSTEM, request_id=request.id, expected_version=request.version, status="in_progress"
    )
    plan = timed(
        "deletion plan (look-ups in every system)", lambda: planning.build_plan(session, request, systems)
    )
    steps = deletion.confirm_plan(
        session, SYSTEM, request_id=request.id, plan=plan, cancellation_confirmed=True, systems_unavailable={}
    )
    session.commit()
    for step in steps:
        timed(
            f"deletion step: {step.system}",
            lambda step=step: deletion.run_step(session, SYSTEM, step_id=step.id, systems=systems),
        )
        session.commit()
        print(f"  {step.system}: {step.status} {step.last_error or ''}")


if __name__ == "__main__":
    main()
