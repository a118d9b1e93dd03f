"""Peak memory and time of the Marketplace import at a given size (what the page does with an upload).

    python scripts/bench_marketplace_import.py --rows 100000 [--rows 500000]

Each size runs in a fresh temporary SQLite store with one app; the CSV is built in memory first (the page
holds the uploaded file as bytes too), so the figures are what reading, previewing and importing add on
top of the file. Peak measured with tracemalloc. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session

from dashboard.access.identity import SYSTEM
from dashboard.core.db import make_engine, migrate
from dashboard.zendesk import marketplace_import as mi
from models import App

HEADER = "subdomain,app_id,installation_id,installed_at,state,plan,paid,seats,stripe_subscription_id\n"


def export(rows: int) -> bytes:
    lines = (
        f"acct{n // 5},900001,{n + 1},2026-{n % 12 + 1:02d}-{n % 28 + 1:02d},enabled,Team,true,{n % 50 + 1},"
        f"sub_{n:08d}\n"
        for n in range(rows)
    )
    return (HEADER + "".join(lines)).encode()


def measured(label: str, work: Callable[[], Any]) -> Any:
    tracemalloc.start()
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  {label}: peak {peak / 2**20:.1f} MB above the file, {seconds:.1f}s", flush=True)
    return result


def bench(rows: int, *, skip_import: bool) -> None:
    engine = make_engine(f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
    migrate(engine)
    with Session(engine) as session:
        session.add(App(slug="tagger", name="Tagger", zendesk_app_id=900001))
        session.commit()
    data = export(rows)
    print(f"{rows:,} rows ({len(data) / 2**20:.1f} MB file):", flush=True)
    with Session(engine) as session:

        def preview() -> tuple[Any, Any]:  # what the page does on upload
            parsed = mi.parse_export(session, data)
            return parsed, mi.preview_import(session, parsed)

        parsed, shown = measured("read + preview", preview)
        print(f"  preview: {shown.counts}, {len(parsed.rejected)} rejected")
        if skip_import:
            return
        report = measured("import", lambda: mi.apply_import(session, SYSTEM, parsed, file_name="bench.csv"))
        session.commit()
        print(f"  imported: {report.created} new, {report.updated} changed")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", default=None)
    parser.add_argument("--skip-import", action="store_true", help="measure reading and the preview only")
    args = parser.parse_args()
    for size in args.rows or [100_000]:
        bench(size, skip_import=args.skip_import)
