"""Daily rollups, rebuilt for just the days that received events, and the tables pages read.

Layers, each built from the one before (so pages never touch raw events):
  usage_events -> usage_daily_rollups (day, installation, feature) and usage_actor_days (day, app,
  account, actor) -> usage_feature_days, usage_feature_months, usage_account_months, app_daily_actives
  (DAU/WAU/MAU by sliding windows) -> usage_cohorts.
Rollups outlive the raw events (see retention.py), so month-level tables are rebuilt from day rollups.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Connection, TextClause, bindparam, text
from sqlmodel import Session

from dashboard.usage.bulk import SQLITE_BULK_CACHE_KIB
from dashboard.usage.sqlparts import EPOCH, as_date, day_number, day_start, month_of, time_param, utc_day

WINDOWS = {"dau": 1, "wau": 7, "mau": 30}
ALL_APPS = 0
DAY_TABLES = ("usage_daily_rollups", "usage_actor_days", "usage_feature_days")
POSTGRES_BULK_WORK_MEM = "512MB"


@dataclass(frozen=True)
class RollupResult:
    days: int
    months: int
    active_days: int


@dataclass(frozen=True)
class _Where:
    """A WHERE clause (empty: every row) and its parameters; list values bind as expanding IN lists."""

    sql: str = ""
    params: dict[str, object] = field(default_factory=dict)

    def bind(self, statement: str) -> TextClause:
        lists = [
            bindparam(name, expanding=True) for name, value in self.params.items() if isinstance(value, list)
        ]
        return text(statement).bindparams(*lists)


EVERY_ROW = _Where()


def _from_day(first: date | None) -> _Where:
    return EVERY_ROW if first is None else _Where("WHERE day >= :first", {"first": first})


@dataclass(frozen=True)
class _Scope:
    """Which rows each layer rebuilds: `raw` events aggregate into day rows matching `raw_days`; the
    tables derived from day rollups rebuild their `days`, `months` (and the month sources
    `month_days`), and app_daily_actives from `actives_start` (None: all of it). `bulk`: the day
    tables are refilled wholesale."""

    raw: _Where
    raw_days: _Where
    days: _Where
    months: _Where
    month_days: _Where
    actives_start: date | None
    bulk: bool = False


def refresh_rollups(session: Session, *, days: Iterable[date]) -> RollupResult:
    """Rebuild every rollup touched by events on `days` (UTC). The caller commits."""
    day_list = sorted(set(days))
    if not day_list:
        return RollupResult(0, 0, 0)
    connection = session.connection()
    months = sorted({d.replace(day=1) for d in day_list})
    active_days = _rebuild(connection, _listed_scope(connection.dialect.name, day_list, months))
    return RollupResult(len(day_list), len(months), active_days)


def rebuild_all(session: Session) -> RollupResult:
    """Recompute every rollup from the raw events still stored (after a bulk load). The caller commits.

    Plain full scans, no per-day filter. Day rollups older than the oldest raw event are kept: the
    retention purge may have deleted their events, and the rollups must outlive them.
    """
    connection = session.connection()
    dialect = connection.dialect.name
    oldest = f"SELECT {utc_day(dialect, 'm')} FROM (SELECT MIN(occurred_at) AS m FROM usage_events) s"
    first = connection.execute(text(oldest)).scalar_one()
    if first is None:
        return RollupResult(0, 0, 0)
    rebuilt = _from_day(as_date(first))
    scope = _Scope(
        raw=EVERY_ROW,
        raw_days=rebuilt,
        days=EVERY_ROW,
        months=EVERY_ROW,
        month_days=EVERY_ROW,
        actives_start=None,
        bulk=True,
    )
    active_days = _rebuild(connection, scope)
    days, months = connection.execute(
        rebuilt.bind(
            f"SELECT COUNT(DISTINCT day), COUNT(DISTINCT {month_of(dialect, 'day')}) FROM usage_feature_days "
            f"{rebuilt.sql}"
        ),
        rebuilt.params,
    ).one()
    return RollupResult(days, months, active_days)


def _listed_scope(dialect: str, day_list: list[date], months: list[date]) -> _Scope:
    event_day = utc_day(dialect, "occurred_at")
    raw = _Where(
        f"WHERE occurred_at >= :lo AND occurred_at < :hi AND {event_day} IN :days",
        {
            "days": day_list,
            "lo": time_param(dialect, day_start(day_list[0])),
            "hi": time_param(dialect, day_start(day_list[-1] + timedelta(days=1))),
        },
    )
    listed_days = _Where("WHERE day IN :days", {"days": day_list})
    return _Scope(
        raw=raw,
        raw_days=listed_days,
        days=listed_days,
        months=_Where("WHERE month IN :months", {"months": months}),
        month_days=_Where(
            f"WHERE day >= :lo AND day < :hi AND {month_of(dialect, 'day')} IN :months",
            {"months": months, "lo": months[0], "hi": _next_month(months[-1])},
        ),
        actives_start=day_list[0],
    )


def _rebuild(connection: Connection, scope: _Scope) -> int:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}")
    elif scope.bulk:
        # In the default 4 MB, de-duplicating the ~9M actor days of 10M events spilled its hash
        # aggregate to disk pass after pass (one statement ran for over 15 minutes).
        connection.exec_driver_sql(f"SET LOCAL work_mem = '{POSTGRES_BULK_WORK_MEM}'")
    _rebuild_day_rollups(connection, scope)
    if scope.bulk:
        _refresh_statistics(connection)
    _rebuild_month_rollups(connection, scope)
    active_days = _rebuild_daily_actives(connection, start=scope.actives_start)
    _rebuild_cohorts(connection)
    return active_days


def _refresh_statistics(connection: Connection) -> None:
    """PostgreSQL: ANALYZE the day tables just refilled in this transaction (autovacuum cannot see
    them yet). Without statistics the planner took 1M actor days for 40,000 groups and chose a
    parallel hash aggregate that ran over 40 s; with them the same DISTINCT takes 0.5 s."""
    if connection.dialect.name == "postgresql":
        for table in DAY_TABLES:
            connection.exec_driver_sql(f"ANALYZE {table}")


def _execute(connection: Connection, where: _Where, statement: str) -> None:
    connection.execute(where.bind(statement), where.params)


def _rebuild_day_rollups(connection: Connection, scope: _Scope) -> None:
    event_day = utc_day(connection.dialect.name, "occurred_at")
    for table in ("usage_daily_rollups", "usage_actor_days"):
        _execute(connection, scope.raw_days, f"DELETE FROM {table} {scope.raw_days.sql}")
    _execute(connection, scope.days, f"DELETE FROM usage_feature_days {scope.days.sql}")
    _execute(
        connection,
        scope.raw,
        "INSERT INTO usage_daily_rollups (day, installation_id, account_id, app_id, feature, events, "
        f"distinct_actors) SELECT {event_day}, installation_id, account_id, app_id, feature, COUNT(*), "
        f"COUNT(DISTINCT actor_hash) FROM usage_events {scope.raw.sql} "
        f"GROUP BY {event_day}, installation_id, account_id, app_id, feature ORDER BY 1, 2, 5",
    )
    _execute(
        connection,
        scope.raw,
        "INSERT INTO usage_actor_days (day, app_id, account_id, actor_hash) "
        f"SELECT DISTINCT {event_day}, app_id, account_id, actor_hash FROM usage_events "
        f"{scope.raw.sql} ORDER BY 1, 2, 3, 4",
    )
    # Actors per feature: installations belong to one account and actor hashes are account-scoped,
    # so per-installation distinct counts add up exactly.
    _execute(
        connection,
        scope.days,
        "INSERT INTO usage_feature_days (day, app_id, feature, events, actors, accounts) "
        "SELECT day, app_id, feature, SUM(events), SUM(distinct_actors), COUNT(DISTINCT account_id) "
        f"FROM usage_daily_rollups {scope.days.sql} GROUP BY day, app_id, feature",
    )


def _rebuild_month_rollups(connection: Connection, scope: _Scope) -> None:
    month = month_of(connection.dialect.name, "day")
    in_months = scope.month_days.sql
    for table in ("usage_feature_months", "usage_account_months"):
        _execute(connection, scope.months, f"DELETE FROM {table} {scope.months.sql}")
    _execute(
        connection,
        scope.month_days,
        "INSERT INTO usage_feature_months (month, app_id, feature, events, accounts) "
        f"SELECT {month}, app_id, feature, SUM(events), COUNT(DISTINCT account_id) "
        f"FROM usage_daily_rollups {in_months} GROUP BY {month}, app_id, feature",
    )
    _execute(
        connection,
        scope.month_days,
        "INSERT INTO usage_account_months (month, account_id, app_id, events, active_days, actors) "
        "SELECT e.month, e.account_id, e.app_id, e.events, e.active_days, COALESCE(a.actors, 0) FROM "
        f"(SELECT {month} AS month, account_id, app_id, SUM(events) AS events, "
        f"COUNT(DISTINCT day) AS active_days FROM usage_daily_rollups {in_months} "
        f"GROUP BY {month}, account_id, app_id) e LEFT JOIN "
        f"(SELECT {month} AS month, account_id, app_id, COUNT(DISTINCT actor_hash) AS actors "
        f"FROM usage_actor_days {in_months} GROUP BY {month}, account_id, app_id) a "
        "ON a.month = e.month AND a.account_id = e.account_id AND a.app_id = e.app_id",
    )


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _rebuild_daily_actives(connection: Connection, *, start: date | None) -> int:
    """DAU/WAU/MAU and 30-day active accounts for every day from `start` (None: the first active day)
    to the last active day.

    For each member (an actor, or an account) ordered by active day, a day d with the next active
    day n keeps the member counted in a W-day window from d until min(d + W, n). Summing those
    spans as +1/-1 steps gives every window's distinct count in one ordered pass, and only the
    members' spans (grouped to at most 31 lengths per day) leave the database.
    """
    dialect = connection.dialect.name
    replaced = _from_day(start)
    needed = _from_day(start - timedelta(days=max(WINDOWS.values()) - 1) if start else None)
    steps: dict[tuple[str, int], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    members = {"account_id, actor_hash": WINDOWS, "account_id": {"active_accounts": 30}}
    for member, windows in members.items():
        for app_expr in ("app_id", str(ALL_APPS)):
            for app_id, day_n, gap, count in _spans(connection, dialect, app_expr, member, needed):
                for name, width in windows.items():
                    series = steps[(name, app_id)]
                    series[day_n] += count
                    series[day_n + min(gap, width)] -= count
    events = _events_by_app_day(connection, needed)
    rows = _active_rows(steps, events, start=start)
    _execute(connection, replaced, f"DELETE FROM app_daily_actives {replaced.sql}")
    if rows:
        connection.execute(
            text(
                "INSERT INTO app_daily_actives (day, app_id, dau, wau, mau, active_accounts, events) "
                "VALUES (:day, :app_id, :dau, :wau, :mau, :active_accounts, :events)"
            ),
            rows,
        )
    return len(rows)


def _spans(connection: Connection, dialect: str, app_expr: str, member: str, needed: _Where):
    n = day_number(dialect, "day")
    cap = max(WINDOWS.values()) + 1
    statement = (
        f"SELECT app_id, d, CASE WHEN nd IS NULL OR nd - d >= {cap} THEN {cap} ELSE nd - d END AS gap, "
        "COUNT(*) FROM (SELECT app_id, d, LEAD(d) OVER (PARTITION BY app_id, "
        f"{member} ORDER BY d) AS nd FROM (SELECT DISTINCT {app_expr} AS app_id, "
        f"{member}, {n} AS d FROM usage_actor_days {needed.sql}) m) s "
        "GROUP BY app_id, d, gap"
    )
    return connection.execute(needed.bind(statement), needed.params).all()


def _events_by_app_day(connection: Connection, needed: _Where) -> dict[tuple[int, int], int]:
    n = day_number(connection.dialect.name, "day")
    rows = connection.execute(
        needed.bind(
            f"SELECT app_id, {n}, SUM(events) FROM usage_feature_days {needed.sql} GROUP BY app_id, {n}"
        ),
        needed.params,
    ).all()
    events: dict[tuple[int, int], int] = defaultdict(int)
    for app_id, day_n, count in rows:
        events[(app_id, day_n)] += count
        events[(ALL_APPS, day_n)] += count
    return events


def _active_rows(
    steps: dict[tuple[str, int], dict[int, int]], events: dict[tuple[int, int], int], *, start: date | None
) -> list[dict[str, object]]:
    start_n = (start - EPOCH).days if start else min((day_n for (_, day_n) in events), default=0)
    last_n = max((day_n for (_, day_n) in events), default=start_n - 1)
    app_ids = sorted({app_id for (_, app_id) in steps})
    rows = []
    for app_id in app_ids:
        running = dict.fromkeys([*WINDOWS, "active_accounts"], 0)
        first_n = min(min(steps[(name, app_id)], default=start_n) for name in running)
        for day_n in range(first_n, last_n + 1):
            for name in running:
                running[name] += steps[(name, app_id)].get(day_n, 0)
            if day_n >= start_n:
                rows.append(
                    {
                        "day": EPOCH + timedelta(days=day_n),
                        "app_id": app_id,
                        **running,
                        "events": events.get((app_id, day_n), 0),
                    }
                )
    return rows


def _rebuild_cohorts(connection: Connection) -> None:
    """Monthly account cohorts by first active month, per app and for any app (small; rebuilt whole)."""
    connection.execute(text("DELETE FROM usage_cohorts"))
    cohort_sql = (
        "INSERT INTO usage_cohorts (app_id, cohort_month, month, accounts) "
        "SELECT f.app_id, f.first_month, m.month, COUNT(*) FROM "
        "(SELECT app_id, account_id, MIN(month) AS first_month FROM ({source}) s "
        "GROUP BY app_id, account_id) f "
        "JOIN ({source}) m ON m.app_id = f.app_id AND m.account_id = f.account_id "
        "GROUP BY f.app_id, f.first_month, m.month"
    )
    per_app = "SELECT app_id, account_id, month FROM usage_account_months"
    any_app = f"SELECT DISTINCT {ALL_APPS} AS app_id, account_id, month FROM usage_account_months"
    for source in (per_app, any_app):
        connection.execute(text(cohort_sql.format(source=source)))
