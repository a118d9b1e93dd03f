"""Usage at scale: ingest speed against raw executemany, rollup time, and every page's run time.

    python scripts/benchmark.py                        # 1M and 10M events, SQLite and PostgreSQL
    python scripts/benchmark.py --events 1000000 --backend sqlite --keep /work/bench
    python scripts/benchmark.py --pages-only sqlite:////work/bench/bench-1000000.sqlite3
    python scripts/benchmark.py --browser --output docs/benchmarks.md   # pages in Chromium (bench_browser.py)
    python scripts/benchmark.py --browser --users 20 --store sqlite   # users at once (bench_load.py)
    python scripts/benchmark.py --events 3000000 --backend sqlite --keep /work/bench --skip-pages
    python scripts/benchmark.py --ingest-only sqlite:////work/bench/bench-3000000.sqlite3  # again, kept store

For each backend and event count it builds the `large` demo data with that many usage events in a
fresh store (SQLite file in a temporary folder, or a new PostgreSQL database on 127.0.0.1:5432),
then measures and prints a Markdown table. `--keep DIR` keeps the stores (SQLite files in DIR,
PostgreSQL databases named bench_<events>_<DIR's name>); `--pages-only URL` times only the pages of a
kept store.
If no demo step has made installations yet, stand-in installations (1-2 apps per account) are added
so there is usage to measure; the report says so.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, bindparam, func, text
from sqlmodel import Session, select

from dashboard.access.identity import SYSTEM, Actor
from dashboard.access.navigation import PAGES
from dashboard.core.db import make_engine, migrate
from dashboard.core.settings import PROJECT_ROOT, reset_settings_cache
from dashboard.demo import _steps
from dashboard.demo.context import SIZES, DemoContext
from dashboard.usage import rollup
from dashboard.usage.bulk import EVENT_COLUMNS, insert_events
from dashboard.usage.ingest import EventPreparer, ingest_events
from dashboard.usage.rollup import refresh_rollups
from models import Account, App, Installation
from scripts.bench_browser import ROLE_LOGINS, run_browser_benchmark

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
INGEST_ROWS = 100_000
PAGE_ACTOR = Actor(email="bench@example.com", role="admin", user_id=1, name="Bench")


@dataclass
class Run:
    backend: str
    events: int
    seed_seconds: float = 0.0
    usage_load_seconds: float = 0.0
    rollup_seconds: float = 0.0
    incremental_rollup_seconds: float = 0.0
    ingest_per_second: float = 0.0
    insert_only_per_second: float = 0.0
    baseline_per_second: float = 0.0
    standin_installations: int = 0
    load_average: str = ""
    rollup_steps: dict[str, float] = field(default_factory=dict)  # the one-day refresh, per layer
    bytes_per_event: float = 0.0  # the whole store's size over its usage events, after the build
    event_bytes_per_event: float = 0.0  # the events' own tables and indexes, after the ingest sample
    pages: dict[str, tuple[float, float] | str] = field(default_factory=dict)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, action="append", help="usage events (repeatable)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--output", type=Path, help="also append the Markdown table to this file")
    parser.add_argument(
        "--keep", type=Path, metavar="DIR", help="keep the built stores (SQLite files in DIR)"
    )
    parser.add_argument(
        "--pages-only", metavar="DATABASE_URL", help="only time the pages of an existing store"
    )
    parser.add_argument("--skip-pages", action="store_true", help="build and ingest only, no page times")
    parser.add_argument(
        "--ingest-only",
        metavar="DATABASE_URL",
        help="only ingest, raw insert, one-day rollup and size on an existing store",
    )
    parser.add_argument("--repeat", type=int, default=3, help="page timings per page (medians kept)")
    parser.add_argument("--browser", action="store_true", help="time every page per role in Chromium")
    parser.add_argument(
        "--store",
        action="append",
        help="--browser: sqlite or postgresql (a fresh small demo), or a kept store's DATABASE_URL",
    )
    parser.add_argument("--revisits", type=int, default=3, help="--browser: warm visits per page")
    parser.add_argument("--role", action="append", choices=sorted(ROLE_LOGINS), help="--browser: roles")
    parser.add_argument(
        "--users", type=int, help="--browser: this many users at once on one console (bench_load.py)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="--browser --users: passes per user")
    args = parser.parse_args()
    if args.users is not None and not args.browser:
        parser.error("--users only with --browser")
    if args.users is not None and (args.users < 1 or args.rounds < 1 or len(args.store or []) > 1):
        parser.error("--users and --rounds are at least 1, with at most one --store")
    if args.users is not None:
        from scripts.bench_load import run_load_benchmark

        store, roles = (args.store or ["sqlite"])[0], args.role or list(ROLE_LOGINS)
        report = run_load_benchmark(store, users=args.users, rounds=args.rounds, roles=roles)
    elif args.browser:
        stores, roles = args.store or ["sqlite", "postgresql"], args.role or list(ROLE_LOGINS)
        report = run_browser_benchmark(stores, revisits=args.revisits, roles=roles)
    elif args.ingest_only:
        runs = [measure_existing(args.ingest_only, repeat=0, ingest=True)]
        report = markdown(runs)
    elif args.pages_only:
        runs = [measure_existing(args.pages_only, repeat=args.repeat)]
        report = page_table(runs)
    else:
        runs = []
        for backend in args.backend or ["sqlite", "postgresql"]:
            for events in args.events or [1_000_000, 10_000_000]:
                repeat = 0 if args.skip_pages else args.repeat
                runs.append(measure(backend, events, keep=args.keep, repeat=repeat))
                print(markdown(runs[-1:]), flush=True)
        report = markdown(runs) + "\n" + ratios(runs) + "\n\n" + rollup_ratios(runs)
    print(report)
    if args.output:
        with args.output.open("a") as handle:
            handle.write(f"\n<!-- {datetime.now(UTC):%Y-%m-%d %H:%M} UTC -->\n{report}\n")


def measure(backend: str, events: int, *, keep: Path | None, repeat: int) -> Run:
    run = Run(backend, events, load_average=load_average())
    with fresh_store(backend, events, keep=keep) as url:
        engine = make_engine(url)
        migrate(engine)
        build_demo(engine, run)
        run.bytes_per_event = store_bytes(engine) / run.events
        measure_ingest(engine, run)
        run.event_bytes_per_event = event_bytes_per_event(engine)
        if repeat:
            measure_pages(url, run, repeat=repeat)
        engine.dispose()
    run.load_average += f" → {load_average()}"
    return run


def measure_existing(url: str, *, repeat: int, ingest: bool = False) -> Run:
    """Page times (or `ingest`: ingest, one-day rollup and size) on a store built earlier (`--keep`);
    its events are counted, not assumed. The store is first migrated to the newest revision."""
    engine = make_engine(url)
    migrate(engine)
    with engine.connect() as conn:
        events = conn.execute(text("SELECT COUNT(*) FROM usage_events")).scalar_one()
    run = Run(engine.dialect.name, events, load_average=load_average())
    if ingest:
        run.bytes_per_event = store_bytes(engine) / events
        measure_ingest(engine, run)
        run.event_bytes_per_event = event_bytes_per_event(engine)
    engine.dispose()
    if repeat:
        measure_pages(url, run, repeat=repeat)
    run.load_average += f" → {load_average()}"
    return run


def store_bytes(engine: Engine) -> int:
    """The store's size in use: the SQLite file's pages less its free list (after a checkpoint), or
    the PostgreSQL database."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
            pages -= conn.exec_driver_sql("PRAGMA freelist_count").scalar_one()
            return pages * conn.exec_driver_sql("PRAGMA page_size").scalar_one()
        return conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()


EVENT_TABLES = ("usage_events", "usage_agents")


def event_bytes_per_event(engine: Engine) -> float:
    """Bytes per usage event of the events' own tables with their indexes: SQLite's `dbstat` pages,
    PostgreSQL's `pg_total_relation_size` of every partition (indexes and TOAST included)."""
    with engine.connect() as conn:
        events = conn.execute(text("SELECT COUNT(*) FROM usage_events")).scalar_one()
        if engine.dialect.name == "sqlite":
            size = conn.execute(
                text(
                    "SELECT SUM(pgsize) FROM dbstat WHERE name IN "
                    "(SELECT name FROM sqlite_master WHERE tbl_name IN :tables)"
                ).bindparams(bindparam("tables", expanding=True)),
                {"tables": list(EVENT_TABLES)},
            ).scalar_one()
        else:  # a partitioned table has no storage of its own: its partitions are summed
            size = sum(
                conn.execute(
                    text(
                        "SELECT COALESCE(SUM(pg_total_relation_size(relid)), 0) "
                        "FROM pg_partition_tree(to_regclass(:t))"
                    ),
                    {"t": table},
                ).scalar_one()
                for table in EVENT_TABLES
            )
    return size / events if events else 0.0


def load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


class fresh_store:
    """A new SQLite file or PostgreSQL database for one run: removed afterwards unless `keep` is given."""

    def __init__(self, backend: str, events: int, *, keep: Path | None) -> None:
        self.backend, self.events, self.keep = backend, events, keep

    def __enter__(self) -> str:
        if self.backend == "sqlite":
            self.folder = str(self.keep) if self.keep else tempfile.mkdtemp(prefix="bench-")
            path = Path(self.folder) / f"bench-{self.events}.sqlite3"
            for stale in (path, *path.parent.glob(f"{path.name}-*")):
                stale.unlink(missing_ok=True)
            self.url = f"sqlite:///{path}"
            return self.url
        # A kept database is named for its events and its --keep folder, so runs kept elsewhere survive.
        kept = (
            f"bench_{self.events}_{''.join(c if c.isalnum() else '_' for c in self.keep.name)}"
            if self.keep
            else ""
        )
        self.name = kept or f"bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{self.name}"
        return self.url

    def __exit__(self, *exc: object) -> None:
        if self.keep:
            print(f"  kept store: {self.url}", flush=True)
        elif self.backend == "sqlite":
            shutil.rmtree(self.folder, ignore_errors=True)
        else:
            with self.admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        if self.backend == "postgresql":
            self.admin.dispose()


def build_demo(engine: Engine, run: Run) -> None:
    ctx = DemoContext(engine=engine, size=replace(SIZES["large"], usage_events=run.events), seed=20261122)
    started = time.perf_counter()
    for name, step in _steps():
        if name == "usage":
            run.standin_installations = add_standin_installations(ctx)
            print(f"  [{run.backend} {run.events:,}] generating and loading usage…", flush=True)
        step(ctx)
    run.seed_seconds = time.perf_counter() - started
    run.usage_load_seconds = ctx.shared.get("usage_load_seconds", 0.0)
    run.rollup_seconds = ctx.shared.get("usage_rollup_seconds", 0.0)


def add_standin_installations(ctx: DemoContext) -> int:
    """Installations for the benchmark when no demo step has made any (the usage step needs some)."""
    with Session(ctx.engine) as session:
        if session.exec(select(func.count()).select_from(Installation)).one():
            return 0
        account_ids = session.exec(select(Account.id)).all()
        app_ids = session.exec(select(App.id)).all()
    rows = []
    for account_id in account_ids:
        for app_id in ctx.rng.sample(app_ids, ctx.rng.choice((1, 1, 2))):
            installed = ctx.now - timedelta(days=ctx.rng.randint(1, 700))
            gone = ctx.rng.random() < 0.1
            rows.append(
                {
                    "id": len(rows) + 1,
                    "account_id": account_id,
                    "app_id": app_id,
                    "source": "demo",
                    "state": "uninstalled" if gone else "enabled",
                    "installed_at": installed,
                    "uninstalled_at": (installed + timedelta(days=ctx.rng.randint(1, 60)) if gone else None),
                    "settings": {},
                }
            )
    ctx.bulk_insert(Installation, rows)
    return len(rows)


def ingest_records(engine: Engine, prefix: str, count: int, now: datetime) -> list[dict]:
    """`count` events spread over today so far (UTC), so refreshing today's rollups covers them all."""
    today_so_far = now - datetime.combine(now.date(), datetime.min.time(), tzinfo=UTC)
    with Session(engine) as session:
        installs = session.exec(select(Installation.id).where(Installation.uninstalled_at.is_(None))).all()
    agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0"
    return [
        {
            "event_id": f"{prefix}-{n}",
            "installation_id": str(installs[n % len(installs)]),
            "feature": "apply_rule",
            "actor": str(n % 5000),
            "ip_address": "203.0.113.9",
            "user_agent": agent,
            "occurred_at": (now - today_so_far * (n / count)).isoformat(),
        }
        for n in range(count)
    ]


def measure_ingest(engine: Engine, run: Run) -> None:
    """Our ingest (validate, hash, parse, insert) and its insert alone, against a raw executemany.

    The inserts alternate in halves (ours, raw, ours, raw) so neither always meets the colder cache
    first; both times include the commit.
    """
    now = datetime.now(UTC)
    records = ingest_records(engine, f"bench-{uuid.uuid4().hex[:8]}", INGEST_ROWS, now)
    with Session(engine) as session:
        started = time.perf_counter()
        preparer = EventPreparer(session, now=now)
        rows = [preparer.prepare(record) for record in records]
        session.commit()  # the user agents the rows refer to
        prepare_seconds = time.perf_counter() - started
    insert_seconds = baseline_seconds = 0.0
    half = len(rows) // 2
    for part in (rows[:half], rows[half:]):
        insert_seconds += timed_insert(engine, part)
        baseline_seconds += raw_executemany(engine, [(f"base-{row[0]}", *row[1:]) for row in part])
    run.ingest_per_second = INGEST_ROWS / (prepare_seconds + insert_seconds)
    run.insert_only_per_second = INGEST_ROWS / insert_seconds
    run.baseline_per_second = INGEST_ROWS / baseline_seconds
    with Session(engine) as session, timed_rollup_steps() as steps:
        started = time.perf_counter()
        refresh_rollups(session, days=[now.date()])
        session.commit()
        run.incremental_rollup_seconds = time.perf_counter() - started
    run.rollup_steps = dict(steps)
    with Session(engine) as session:  # the public function, end to end, once more (all duplicates)
        ingest_events(session, records[:1000], actor=SYSTEM, now=now)
        session.commit()


# The functions of each layer of a one-day rollup refresh (dashboard/usage/rollup.py `_refresh_day`).
ROLLUP_LAYERS = {
    "_rebuild_day_rollups": "day_rollups",
    "_fold_month_rollups": "month_rollups",
    "_active_changes": "daily_actives",
    "_apply_active_changes": "daily_actives",
    "_month_presence": "cohorts",
    "_refresh_cohorts": "cohorts",
}


@contextmanager
def timed_rollup_steps() -> Iterator[dict[str, float]]:
    """Seconds spent in each layer of a rollup refresh while the block runs."""
    steps: dict[str, float] = {}
    originals = {name: getattr(rollup, name) for name in ROLLUP_LAYERS}

    def timed(name: str):
        def run(*args, **kwargs):
            started = time.perf_counter()
            try:
                return originals[name](*args, **kwargs)
            finally:
                layer = ROLLUP_LAYERS[name]
                steps[layer] = steps.get(layer, 0.0) + time.perf_counter() - started

        return run

    for name in ROLLUP_LAYERS:
        setattr(rollup, name, timed(name))
    try:
        yield steps
    finally:
        for name, original in originals.items():
            setattr(rollup, name, original)


def timed_insert(engine: Engine, rows: list) -> float:
    """Seconds for our bulk insert of `rows`, committed."""
    started = time.perf_counter()
    with engine.begin() as connection:
        insert_events(connection, rows)
    return time.perf_counter() - started


def raw_executemany(engine: Engine, rows: list[tuple]) -> float:
    """Seconds for a plain DBAPI executemany INSERT of `rows` into usage_events (no conflict handling)."""
    marker = "?" if engine.dialect.name == "sqlite" else "%s"
    statement = (
        f"INSERT INTO usage_events ({', '.join(EVENT_COLUMNS)}) "
        f"VALUES ({', '.join(marker for _ in EVENT_COLUMNS)})"
    )
    if engine.dialect.name == "postgresql":
        rows = [(*row[:6], row[6] + "+00", *row[7:]) for row in rows]
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        started = time.perf_counter()
        cursor.executemany(statement, rows)
        raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


def measure_pages(url: str, run: Run, *, repeat: int) -> None:
    """Every registered page under AppTest as an admin: a cold run (caches cleared) and a cached run,
    `repeat` times each; the medians are kept.

    Each page is run once first and thrown away, so "cold" measures empty caches, not Python imports;
    the engine (and the Alembic check a new server makes once) is set up again before timing.
    """
    import streamlit as st

    os.environ["DATABASE_URL"] = url
    reset_settings_cache()
    st.cache_resource.clear()
    for spec in PAGES:
        path = PROJECT_ROOT / spec.file
        if not path.exists():
            run.pages[spec.key] = "not on this branch"
            continue
        warm = page_run(path)
        samples = [cold_and_cached(path, warm) for _ in range(repeat)]
        failed = [message for _, _, errors in samples for message in errors]
        colds, cacheds = [cold for cold, _, _ in samples], [cached for _, cached, _ in samples]
        run.pages[spec.key] = f"error: {failed[0]}" if failed else (median(colds), median(cacheds))


def cold_and_cached(path: Path, warm) -> tuple[float, float, list[str]]:
    """Seconds for one run with every Streamlit cache empty, then for the same run again, and errors."""
    import streamlit as st

    from dashboard.ui.store import get_engine

    st.cache_data.clear()
    st.cache_resource.clear()
    get_engine()
    at = page_run(path, run=False)
    # A server scans the installed packages for components once at start; AppTest scans again on each
    # new test object's first run (~0.2 s), so this one reuses what the warm-up run found.
    at._bidi_component_manager = warm._bidi_component_manager
    started = time.perf_counter()
    at.run()
    cold = time.perf_counter() - started
    started = time.perf_counter()
    at.run()
    cached = time.perf_counter() - started
    return cold, cached, [str(e.value)[:80] for e in at.exception]


def page_run(path: Path, *, run: bool = True):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(path), default_timeout=600)
    at.session_state["actor"] = PAGE_ACTOR
    return at.run() if run else at


def markdown(runs: list[Run]) -> str:
    lines = [
        "| backend | events | seed (all steps) | usage load | rollup (full) | rollup (1 day) "
        "| ingest ev/s | ingest insert ev/s | raw executemany ev/s | ingest / raw | stand-in installs "
        "| bytes / event | event tables bytes / event | load average |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r.backend} | {r.events:,} | {r.seed_seconds:.1f} s | "
            f"{r.usage_load_seconds:.1f} s | {r.rollup_seconds:.1f} s | "
            f"{r.incremental_rollup_seconds:.2f} s | {r.ingest_per_second:,.0f} | "
            f"{r.insert_only_per_second:,.0f} | {r.baseline_per_second:,.0f} | "
            f"{r.ingest_per_second / r.baseline_per_second:.2f} | {r.standin_installations:,} | "
            f"{r.bytes_per_event:,.0f} | {r.event_bytes_per_event:,.1f} | {r.load_average} |"
        )
    steps = [
        f"- {r.backend} {r.events:,}: " + ", ".join(f"{k} {v:.2f} s" for k, v in r.rollup_steps.items())
        for r in runs
    ]
    return "\n".join(lines) + "\n\nrollup (1 day) by layer:\n" + "\n".join(steps) + "\n\n" + page_table(runs)


def page_table(runs: list[Run]) -> str:
    lines = ["| backend | events | page | cold | cached |", "|---|---:|---|---:|---:|"]
    for r in runs:
        for key, value in r.pages.items():
            cells = f"{value[0]:.3f} s | {value[1]:.3f} s" if isinstance(value, tuple) else f"{value} | "
            lines.append(f"| {r.backend} | {r.events:,} | {key} | {cells} |")
        lines.append(f"\nload average (1/5/15 min) at start → end: {r.load_average}")
    return "\n".join(lines)


def ratios(runs: list[Run]) -> str:
    lines = [
        "| backend | page | cold at fewest events | cold at most events | ratio |",
        "|---|---|---:|---:|---:|",
    ]
    for backend, small, large in fewest_and_most(runs):
        for key in ("usage", "overview"):
            a, b = small.pages.get(key), large.pages.get(key)
            if isinstance(a, tuple) and isinstance(b, tuple):
                lines.append(
                    f"| {backend} | {key} ({small.events:,} → {large.events:,}) | {a[0]:.3f} s | "
                    f"{b[0]:.3f} s | {b[0] / a[0]:.2f} |"
                )
    return "\n".join(lines)


def fewest_and_most(runs: list[Run]) -> Iterator[tuple[str, Run, Run]]:
    """Per backend with two runs or more: its runs with the fewest and the most events."""
    for backend in sorted({r.backend for r in runs}):
        mine = sorted((r for r in runs if r.backend == backend), key=lambda r: r.events)
        if len(mine) >= 2:
            yield backend, mine[0], mine[-1]


def rollup_ratios(runs: list[Run]) -> str:
    """The one-day refresh per layer at the fewest and the most events: flat in history is a ratio near 1."""
    lines = [
        "| backend | rollup (1 day) layer | at fewest events | at most events | ratio |",
        "|---|---|---:|---:|---:|",
    ]
    for backend, small, large in fewest_and_most(runs):
        layers = {**small.rollup_steps, "total": small.incremental_rollup_seconds}
        grown = {**large.rollup_steps, "total": large.incremental_rollup_seconds}
        for layer, a in layers.items():
            b = grown.get(layer, 0.0)
            lines.append(
                f"| {backend} | {layer} ({small.events:,} → {large.events:,}) | {a:.2f} s | {b:.2f} s | "
                f"{b / a if a else float('nan'):.2f} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
