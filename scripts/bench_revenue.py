"""Revenue page timings with segments, and the Failed payments page, under AppTest (cold and cached).

    python scripts/bench_revenue.py                 # small demo (all steps), SQLite in a temp folder
    python scripts/bench_revenue.py --size large --only core,stripe    # large Stripe data, no usage

Cold = every Streamlit cache empty; cached = the same run again. Median of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.access.identity import Actor
from dashboard.core.db import make_engine, migrate
from dashboard.core.settings import PROJECT_ROOT, reset_settings_cache
from dashboard.demo import _steps
from dashboard.demo.context import SIZES, DemoContext
from scripts.benchmark import load_average

# A store the bench seeds is not the demo store: it needs the keys (fixed, bench-only values), and the
# page's actor must be a user the store has (the demo's admin), or every page stops at "Please sign in".
BENCH_KEYS = ("SECRET_KEY", "AUDIT_KEY", "USAGE_ACTOR_HASH_KEY")
PAGE_ACTOR = Actor(email="admin@demo.example", role="admin", user_id=1, name="Admin")

CASES = [
    ("revenue, whole business", "app_pages/revenue.py", {}),
    ("revenue ?by=app", "app_pages/revenue.py", {"by": "app"}),
    ("revenue ?by=currency&interval=month", "app_pages/revenue.py", {"by": "currency", "interval": "month"}),
    ("revenue ?by=country", "app_pages/revenue.py", {"by": "country"}),
    ("revenue ?by=owner", "app_pages/revenue.py", {"by": "owner"}),
    ("failed payments", "app_pages/failed_payments.py", {}),
]


def _run(path: str, query: dict, warm=None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PROJECT_ROOT / path), default_timeout=600)
    at.session_state["actor"] = PAGE_ACTOR
    for key, value in query.items():
        at.query_params[key] = value
    if warm is not None:
        at._bidi_component_manager = warm._bidi_component_manager
    return at


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="small", choices=sorted(SIZES))
    parser.add_argument("--only", default="", help="comma-separated demo steps (default: all)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import streamlit as st

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        engine = make_engine(url)
        migrate(engine)
        ctx = DemoContext(engine=engine, size=replace(SIZES[args.size], usage_events=60_000), seed=20261122)
        only = set(filter(None, args.only.split(",")))
        started = time.perf_counter()
        for name, step in _steps():
            if not only or name in only:
                step(ctx)
        print(
            f"seeded {args.size} ({', '.join(only) or 'all steps'}) in {time.perf_counter() - started:.1f} s"
        )
        os.environ["DATABASE_URL"] = url
        for name in BENCH_KEYS:
            os.environ.setdefault(name, f"bench-{name.lower()}-not-for-production-0123456789")
        reset_settings_cache()
        print(f"load average {load_average()}")
        print("| page | cold (s) | cached (s) |\n|---|---|---|")
        for label, path, query in CASES:
            warm = _run(path, query).run()
            colds, cacheds = [], []
            for _ in range(args.repeat):
                st.cache_data.clear()
                st.cache_resource.clear()
                at = _run(path, query, warm)
                t = time.perf_counter()
                at.run()
                colds.append(time.perf_counter() - t)
                t = time.perf_counter()
                at.run()
                cacheds.append(time.perf_counter() - t)
                if at.exception or at.error or not at.title:
                    problems = [e.value for e in (*at.exception, *at.error)] or ["the page stopped early"]
                    print(f"  error: {problems[0]}")
            print(f"| {label} | {median(colds):.2f} | {median(cacheds):.2f} |", flush=True)
        engine.dispose()


if __name__ == "__main__":
    main()
