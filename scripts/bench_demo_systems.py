"""The demo's simulated Stripe and Zendesk: how long they take to start, and whether the demo's history holds.

    python scripts/bench_demo_systems.py --size small
    python scripts/bench_demo_systems.py --size large --usage-events 100000 --sync

Seeds the demo of that size into a fresh SQLite file (usage events cut to `--usage-events`: the simulators
do not read them, and 10M take minutes to write), then prints: each demo step's time, how long filling
and starting each simulator takes (what the console adds to its first page per server process), the
history checks (`history_problems`, the audit chain) and, with `--sync`, a full Stripe sync and a Zendesk
sync against the simulators with the mirror's row counts before and after.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func
from sqlmodel import Session, select

from dashboard.access.identity import SYSTEM
from dashboard.billing.stripe_gateway import StripeGateway
from dashboard.billing.stripe_sync.runner import run_stripe_sync
from dashboard.core import audit
from dashboard.core.db import make_engine, migrate
from dashboard.demo import _steps
from dashboard.demo.context import SIZES, DemoContext
from dashboard.demo.history import history_problems
from dashboard.simulators.demo import DEMO_STRIPE_KEY, stripe_from_store, zendesk_from_store
from dashboard.zendesk.gateway import ZendeskGateway
from dashboard.zendesk.sync import run_zendesk_sync
from models import (
    Installation,
    StripeCustomer,
    StripeInvoice,
    StripePayment,
    StripeRefund,
    StripeSubscription,
)


def timed(label: str, action):
    started = time.perf_counter()
    result = action()
    print(f"| {label} | {time.perf_counter() - started:.2f} s |")
    return result


def mirror_counts(engine) -> dict[str, int]:
    models = (StripeCustomer, StripeSubscription, StripeInvoice, StripePayment, StripeRefund, Installation)
    with Session(engine) as session:
        return {m.__name__: session.exec(select(func.count()).select_from(m)).one() for m in models}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--usage-events", type=int, default=None)
    parser.add_argument("--sync", action="store_true", help="also run both syncs against the simulators")
    args = parser.parse_args()
    size = SIZES[args.size]
    if args.usage_events is not None:
        size = replace(size, usage_events=args.usage_events)
    folder = Path(tempfile.mkdtemp(prefix="bench-demo-"))
    engine = make_engine(f"sqlite:///{folder / 'demo.sqlite3'}")
    migrate(engine)
    ctx = DemoContext(engine=engine, size=size, seed=20261122)
    print(f"## Demo `{args.size}` ({size.accounts} accounts, {size.usage_events} usage events)\n")
    print("| step | time |\n|---|---|")
    for name, step in _steps():
        timed(f"seed: {name}", lambda step=step: step(ctx))
    stripe = timed("fill the Stripe simulator from the store", lambda: stripe_from_store(engine))
    zendesk = timed("fill the Zendesk simulator from the store", lambda: zendesk_from_store(engine))
    timed("start both servers", lambda: (stripe.start(), zendesk.start()))
    with Session(engine) as session:
        problems = timed("history checks", lambda: history_problems(session, now=ctx.now))
        chain = timed("audit chain verified", lambda: audit.verify_chain(session))
    objects = sum(len(v) for v in stripe.store.values())
    print(f"\nStripe simulator: {objects} objects; Zendesk simulator: {len(zendesk.accounts)} accounts.")
    print(f"History problems: {problems or 'none'}; audit chain: {chain.rows_checked} rows, ok={chain.ok}.")
    if args.sync:
        before = mirror_counts(engine)
        gateway = StripeGateway(DEMO_STRIPE_KEY, api_base=stripe.url)
        print("\n| sync | time |\n|---|---|")
        result = timed("Stripe full sync", lambda: run_stripe_sync(engine, gateway, actor=SYSTEM, full=True))
        zendesk_gateway = ZendeskGateway(api_base=zendesk.base_url, requests_per_minute=100_000)
        outcome = timed("Zendesk sync", lambda: run_zendesk_sync(engine, zendesk_gateway, actor=SYSTEM))
        after = mirror_counts(engine)
        print(f"\nStripe sync: {result}\nZendesk sync: {outcome.status}")
        print(f"Mirror rows before {before}\nMirror rows after  {after}")
    stripe.stop()
    zendesk.stop()


if __name__ == "__main__":
    main()
