"""Privacy benchmark: seed the large core + privacy demo (10,000 requests), time the privacy read paths.

    python scripts/bench_privacy.py [DATABASE_URL]

Without a URL it uses a fresh SQLite file in a temporary folder. Prints seconds per step; no assertions.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session, func, select

from dashboard.core.db import make_engine, migrate
from dashboard.demo import core
from dashboard.demo import privacy as privacy_demo
from dashboard.demo.context import SIZES, DemoContext
from dashboard.privacy import queue, reports, requests, subjects
from dashboard.privacy.states import STATUS_LABELS
from models import PrivacyRequest


def timed(label: str, work: Callable[[], object]) -> object:
    started = time.perf_counter()
    result = work()
    print(f"{label:<48} {time.perf_counter() - started:7.3f} s")
    return result


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    engine = make_engine(url)
    migrate(engine)
    ctx = DemoContext(engine=engine, size=SIZES["large"], seed=20261122)
    timed("seed large: core step (accounts, contacts)", lambda: core.generate(ctx))
    timed("seed large: privacy step (10,000 requests)", lambda: privacy_demo.generate(ctx))
    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(PrivacyRequest)).one()
        today = session.exec(select(func.max(PrivacyRequest.received_on))).one()
        print(f"requests in store: {total:,}")
        rows = timed("queue, open requests (default view)", lambda: queue.queue_rows(session, today=today))
        print(f"  open rows: {len(rows):,}")
        everything = queue.QueueFilters(statuses=tuple(STATUS_LABELS))
        timed("queue, every status", lambda: queue.queue_rows(session, today=today, filters=everything))
        timed("yearly report by type", lambda: reports.yearly_report(session, by="type"))
        timed("yearly report by jurisdiction", lambda: reports.yearly_report(session, by="jurisdiction"))
        timed("suppression list", lambda: subjects.suppression_list(session))
        first = rows[0]["id"]
        timed("one request: timeline", lambda: requests.timeline(session, first))
        timed(
            "duplicate check for one email",
            lambda: requests.likely_duplicates(session, type=rows[0]["type"], email=rows[0]["subject_email"]),
        )


if __name__ == "__main__":
    main()
