"""Figures for docs/installations.md: Zendesk sync against the fake, and page times on the `large` demo.

    python scripts/bench_installations.py [--accounts 20] [--per-account 500] [--skip-pages]

Prints figures; asserts nothing. Uses a temporary SQLite store.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session

from dashboard.access.identity import SYSTEM
from dashboard.core.db import make_engine, migrate


def bench_sync(accounts: int, per_account: int) -> None:
    from dashboard.simulators.zendesk import ZendeskSimulator, installation
    from dashboard.zendesk.connections import add_connection
    from dashboard.zendesk.gateway import ZendeskGateway
    from dashboard.zendesk.sync import sync_installations
    from models import App

    engine = make_engine(f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
    migrate(engine)
    with ZendeskSimulator(page_size=100) as fake, Session(engine) as session:
        session.add_all([App(slug=f"app{n}", name=f"App {n}", zendesk_app_id=900000 + n) for n in range(4)])
        for n in range(accounts):
            fake.add_account(
                f"acct{n}",
                installations=[
                    installation(id=n * 100_000 + i, app_id=900000 + i % 6, seats=i % 20 + 1)
                    for i in range(per_account)
                ],
            )
            add_connection(
                session, SYSTEM, subdomain=f"acct{n}", email="api@company.test", token="good-token"
            )
        fake.accounts["acct0"].fail_next(status=429, retry_after=1)
        session.commit()
        gateway = ZendeskGateway(api_base=fake.base_url, timeout=10)
        for label in ("first sync", "second sync (nothing changed)"):
            started = time.perf_counter()
            result = sync_installations(session, gateway, actor=SYSTEM)
            session.commit()
            seconds = time.perf_counter() - started
            kept = sum(o.kept for o in result.outcomes)
            requests = sum(o.requests for o in result.outcomes)
            print(
                f"{label}: {accounts} accounts x {per_account} installations, {kept} of ours kept, "
                f"{requests} API pages, {len(fake.calls) - requests} answered 429 and retried, "
                f"{len(fake.calls)} HTTP calls, {seconds:.2f}s"
            )
            fake.calls.clear()


def bench_pages() -> None:
    from streamlit.testing.v1 import AppTest

    from dashboard.access.identity import Actor
    from dashboard.billing import reconciliation
    from dashboard.core.settings import PROJECT_ROOT, reset_settings_cache
    from dashboard.demo import _steps
    from dashboard.demo.context import SIZES, DemoContext
    from dashboard.zendesk import installations

    folder = tempfile.mkdtemp()
    url = f"sqlite:///{folder}/large.sqlite3"
    engine = make_engine(url)
    migrate(engine)
    ctx = DemoContext(engine=engine, size=SIZES["large"], seed=20261122)
    for name, step in _steps():
        if name == "usage":
            continue  # 10M usage events: irrelevant to these pages
        started = time.perf_counter()
        step(ctx)
        print(f"seed step {name} (large): {time.perf_counter() - started:.1f}s")
    everything = installations.InstallationFilters()
    with Session(engine) as session:
        for label, call in [
            ("list_installations (all)", lambda: len(installations.list_installations(session, everything))),
            ("counts_by_state", lambda: installations.counts_by_state(session, everything)),
            ("weekly_changes", lambda: len(installations.weekly_changes(session, everything))),
            ("reconcile", lambda: len(reconciliation.reconcile(session))),
        ]:
            started = time.perf_counter()
            size = call()
            print(f"{label}: {time.perf_counter() - started:.2f}s ({size})")
    os.environ.update(DATABASE_URL=url, DATA_DIR=folder)
    reset_settings_cache()
    actor = Actor(email="bench@example.com", role="admin")
    for page in ("installations.py", "reconciliation.py"):
        at = AppTest.from_file(str(PROJECT_ROOT / "app_pages" / page), default_timeout=300)
        at.session_state["actor"] = actor
        for run in ("cold", "warm (cached)"):
            started = time.perf_counter()
            at.run()
            print(
                f"page {page} {run}: {time.perf_counter() - started:.2f}s"
                f"{' EXCEPTION ' + str(at.exception) if at.exception else ''}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--per-account", type=int, default=500)
    parser.add_argument("--skip-pages", action="store_true")
    args = parser.parse_args()
    bench_sync(args.accounts, args.per_account)
    if not args.skip_pages:
        bench_pages()


if __name__ == "__main__":
    main()
