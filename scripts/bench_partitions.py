"""PostgreSQL partitions of usage events: retention by DELETE + VACUUM against dropping whole months, a
one-day rollup refresh, and that refresh's plans, on one store with `usage_events` as one table
(revision 0011) and one partitioned by month (0012).

    python scripts/bench_partitions.py                       # 1M events over ten months
    python scripts/bench_partitions.py --events 200000 --output docs/benchmarks.md

Each store is a new database on 127.0.0.1:5432, dropped at the end. The events are synthetic (one
installation, one insert from generate_series, spread evenly from January 1 to October 31, 2026), so
the figures compare the two layouts, not the demo's shape. Retention keeps 150 days as of November 1:
the cutoff is June 4, so January to May go whole and June 1-3 row by row.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alembic import command
from sqlalchemy import Engine, event, text
from sqlmodel import Session

from dashboard.access.identity import SYSTEM
from dashboard.core.db import alembic_config, make_engine, migrate
from dashboard.usage.partitions import ensure_partitions
from dashboard.usage.retention import purge_usage
from dashboard.usage.rollup import refresh_rollups
from models import Account, App, Installation
from scripts.benchmark import fresh_store, load_average

FIRST = datetime(2026, 1, 1, tzinfo=UTC)
LAST = datetime(2026, 11, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
RETENTION_DAYS = 150
ROLLUP_DAY = date(2026, 10, 15)


def build(engine: Engine, *, partitioned: bool, events: int) -> None:
    if partitioned:
        migrate(engine)
        ensure_partitions(engine, today=FIRST.date(), months_ahead=10)  # January to November
    else:
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0011")
    with Session(engine) as session:
        session.add_all(
            [Account(id=1, company_name="Bench", zendesk_subdomain="bench"), App(id=1, slug="b", name="B")]
        )
        session.flush()
        session.add(Installation(id=1, account_id=1, app_id=1))
        session.commit()
    span = (LAST - FIRST).total_seconds()
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO usage_events (event_id, installation_id, account_id, app_id, feature, "
                "actor_hash, occurred_at, ip_address) SELECT 'e' || i, 1, 1, 1, 'f' || (i % 12), "
                "substring(decode(md5((i % 5000)::text), 'hex') from 1 for 16), "
                ":first + make_interval(secs => i * :step), '203.0.113.7' FROM generate_series(0, :n - 1) i"
            ),
            {"first": FIRST, "step": span / events, "n": events},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE usage_events"))


STEPS = (  # the purge's statements by what they do, for the breakdown
    ("DELETE FROM usage_events", "delete rows"),
    ("DELETE FROM usage_agents", "unused user agents"),
    ("SELECT COUNT(*) FROM usage_events_", "count partition rows"),
    ("ALTER TABLE usage_events DETACH", "detach + drop"),
    ("DROP TABLE", "detach + drop"),
)


def timed_retention(engine: Engine) -> tuple[float, float, int, dict[str, float]]:
    """Seconds for the purge (its transaction) and for the VACUUM after it; events removed; seconds
    per kind of statement in the purge."""
    steps: dict[str, float] = {}
    started_at: list[float] = []

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        started_at.append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany) -> None:
        seconds = time.perf_counter() - started_at.pop()
        kind = next((name for prefix, name in STEPS if statement.startswith(prefix)), "other")
        steps[kind] = steps.get(kind, 0.0) + seconds

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    started = time.perf_counter()
    with Session(engine) as session:
        result = purge_usage(session, actor=SYSTEM, days=RETENTION_DAYS, mode="delete", now=NOW)
        session.commit()
    purged = time.perf_counter() - started
    event.remove(engine, "before_cursor_execute", before)
    event.remove(engine, "after_cursor_execute", after)
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM usage_events"))
    return purged, time.perf_counter() - started, result.events, steps


def timed_rollup(engine: Engine) -> tuple[float, list[str]]:
    """Seconds to refresh one day's rollups, and the plans of its two reads of the raw events."""
    reads: list[tuple[str, dict]] = []

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:
        if "FROM usage_events WHERE" in statement and statement.lstrip().startswith("INSERT"):
            reads.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    started = time.perf_counter()
    with Session(engine) as session:
        refresh_rollups(session, days=[ROLLUP_DAY])
        session.commit()
    seconds = time.perf_counter() - started
    event.remove(engine, "before_cursor_execute", keep)
    with engine.connect() as conn:
        plans = [
            "\n".join(conn.exec_driver_sql(f"EXPLAIN (COSTS OFF) {statement}", parameters).scalars())
            for statement, parameters in reads
        ]
    return seconds, plans


def measure(events: int, *, partitioned: bool) -> dict:
    with fresh_store("postgresql", events, keep=None) as url:
        engine = make_engine(url)
        try:
            started = time.perf_counter()
            build(engine, partitioned=partitioned, events=events)
            built = time.perf_counter() - started
            rollup_seconds, plans = timed_rollup(engine)
            purge_seconds, vacuum_seconds, removed, steps = timed_retention(engine)
        finally:
            engine.dispose()
    return {
        "layout": "partitioned by month (0012)" if partitioned else "one table (0011)",
        "build": built,
        "rollup": rollup_seconds,
        "purge": purge_seconds,
        "vacuum": vacuum_seconds,
        "removed": removed,
        "steps": steps,
        "plans": plans,
    }


def markdown(events: int, runs: list[dict]) -> str:
    lines = [
        f"PostgreSQL, {events:,} synthetic events (Jan 1 - Oct 31, 2026), retention {RETENTION_DAYS} days "
        f"as of {NOW:%Y-%m-%d} (cutoff June 4); load average before: {runs[0]['load']}.",
        "",
        "| layout | events removed | purge (s) | VACUUM after (s) | retention total (s) "
        "| one-day rollup refresh (s) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        lines.append(
            f"| {run['layout']} | {run['removed']:,} | {run['purge']:.2f} | {run['vacuum']:.2f} | "
            f"{run['purge'] + run['vacuum']:.2f} | {run['rollup']:.2f} |"
        )
    lines += ["", "Where the purge's time went (seconds per kind of statement):", ""]
    kinds = sorted({kind for run in runs for kind in run["steps"]})
    lines += ["| layout | " + " | ".join(kinds) + " |", "|---|" + "---:|" * len(kinds)]
    for run in runs:
        lines.append(
            f"| {run['layout']} | " + " | ".join(f"{run['steps'].get(k, 0):.2f}" for k in kinds) + " |"
        )
    partitioned = runs[-1]
    lines += [
        "",
        f"Plan of the one-day rollup's read of raw events ({ROLLUP_DAY}), partitioned store:",
        "",
        "```",
    ]
    lines += [partitioned["plans"][0], "```"]
    read = set(re.findall(r"usage_events_(?:\d{4}_\d{2}|default)", partitioned["plans"][0]))
    lines += ["", f"Partitions read: {', '.join(sorted(read))} (of 11 months and the default partition)."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--output", type=Path, help="also append the Markdown to this file")
    args = parser.parse_args()
    runs = []
    for partitioned in (False, True):
        load = load_average()
        run = measure(args.events, partitioned=partitioned)
        run["load"] = load
        print(
            f"{run['layout']}: built in {run['build']:.1f} s, purge {run['purge']:.2f} s + VACUUM "
            f"{run['vacuum']:.2f} s, one-day rollup {run['rollup']:.2f} s",
            flush=True,
        )
        runs.append(run)
    report = markdown(args.events, runs)
    print(report)
    if args.output:
        with args.output.open("a", encoding="utf-8") as handle:
            handle.write("\n" + report)


if __name__ == "__main__":
    main()
