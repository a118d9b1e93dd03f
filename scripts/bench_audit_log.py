"""Time the Audit log page's queries on a large log: `python -m scripts.bench_audit_log [--rows N]`.

Fills a throwaway SQLite store (or DATABASE_URL's database when --use-database-url is given and the
store is empty) with N audit rows over a year, then prints how long each filter takes for one page.
The rows are inserted in bulk without the hash chain: this measures reading, not verifying.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session

from dashboard.core import audit_query
from dashboard.core.db import make_engine, migrate
from dashboard.core.settings import get_settings
from models import AuditEvent

ACTIONS = [
    "login",
    "login_failed",
    "logout",
    "user_added",
    "privacy_request_updated",
    "export_downloaded",
    "billing_correction_created",
    "installation_synced",
]


def fill(engine, rows: int) -> None:
    rng = random.Random(1)
    start = datetime(2025, 11, 1, tzinfo=UTC)
    batch = []
    with engine.begin() as conn:
        for i in range(1, rows + 1):
            batch.append(
                {
                    "id": i,
                    "at": start + timedelta(seconds=i * 31_536_000 // rows),
                    "actor": f"user{rng.randint(1, 300)}@example.com",
                    "actor_role": "admin",
                    "action": rng.choice(ACTIONS),
                    "target_type": rng.choice(["user", "account", "privacy_request"]),
                    "target_id": str(rng.randint(1, 20_000)),
                    "account_id": None,
                    "details": {"n": i},
                    "prev_hash": "0" * 64,
                    "row_hash": f"{i:064x}",
                }
            )
            if len(batch) == 20_000:
                conn.execute(insert(AuditEvent.__table__), batch)
                batch.clear()
        if batch:
            conn.execute(insert(AuditEvent.__table__), batch)


def timed(session: Session, label: str, flt: audit_query.AuditFilter, page: int = 1) -> None:
    started = time.perf_counter()
    result = audit_query.find_events(session, flt, page=page)
    print(f"  {label:<44} {len(result.rows):>4} rows  {1000 * (time.perf_counter() - started):8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--use-database-url", action="store_true")
    args = parser.parse_args()
    url = (
        get_settings().effective_database_url
        if args.use_database_url
        else f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    )
    engine = make_engine(url)
    migrate(engine)
    started = time.perf_counter()
    fill(engine, args.rows)
    print(f"{engine.dialect.name}: {args.rows:,} audit rows inserted in {time.perf_counter() - started:.1f}s")
    month = audit_query.day_bounds(date(2026, 6, 1), date(2026, 6, 30), "Europe/Berlin")
    with Session(engine) as session:
        timed(session, "no filter, page 1", audit_query.AuditFilter())
        timed(session, "no filter, page 50", audit_query.AuditFilter(), page=50)
        timed(session, "one month", audit_query.AuditFilter(since=month[0], until=month[1]))
        timed(session, "action=user_added", audit_query.AuditFilter(action="user_added"))
        timed(session, "actor contains 'user17@'", audit_query.AuditFilter(actor="user17@"))
        timed(session, "target user:123", audit_query.AuditFilter(target_type="user", target_id="123"))
        timed(
            session,
            "actor + action + month",
            audit_query.AuditFilter(actor="user17@", action="login", since=month[0], until=month[1]),
        )
        timed(session, "no match (full scan)", audit_query.AuditFilter(actor="nobody"))
        started = time.perf_counter()
        actions = audit_query.known_actions(session)
        print(
            f"  {'known actions (filter box)':<44} {len(actions):>4} rows  "
            f"{1000 * (time.perf_counter() - started):8.1f} ms"
        )
    engine.dispose()


if __name__ == "__main__":
    main()
