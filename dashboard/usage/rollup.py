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
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, bindparam, text
from sqlmodel import Session

from dashboard.usage.bulk import SQLITE_BULK_CACHE_KIB
from dashboard.usage.sqlparts import EPOCH, as_date, day_number, day_start, month_of, time_param, utc_day

WINDOWS = {"dau": 1, "wau": 7, "mau": 30}
ALL_APPS = 0


@dataclass(frozen=True)
class RollupResult:
    days: int
    months: int
    active_days: int


def refresh_rollups(session: Session, *, days: Iterable[date]) -> RollupResult:
    """Rebuild every rollup touched by events on `days` (UTC). The caller commits."""
    day_list = sorted(set(days))
    if not day_list:
        return RollupResult(0, 0, 0)
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}")
    _rebuild_day_rollups(connection, day_list)
    months = sorted({d.replace(day=1) for d in day_list})
    _rebuild_month_rollups(connection, months)
    active_days = _rebuild_daily_actives(connection, start=day_list[0])
    _rebuild_cohorts(connection)
    return RollupResult(len(day_list), len(months), active_days)


def _expanding(statement: str, *names: str):
    return text(statement).bindparams(*(bindparam(name, expanding=True) for name in names))


def _rebuild_day_rollups(connection: Connection, day_list: list[date]) -> None:
    dialect = connection.dialect.name
    event_day = utc_day(dialect, "occurred_at")
    window = {"days": day_list, "lo": time_param(dialect, day_start(day_list[0])),
              "hi": time_param(dialect, day_start(day_list[-1] + timedelta(days=1)))}
    raw_in_window = f"occurred_at >= :lo AND occurred_at < :hi AND {event_day} IN :days"
    for table in ("usage_daily_rollups", "usage_actor_days", "usage_feature_days"):
        connection.execute(_expanding(f"DELETE FROM {table} WHERE day IN :days", "days"), {"days": day_list})
    connection.execute(_expanding(
        "INSERT INTO usage_daily_rollups (day, installation_id, account_id, app_id, feature, events, "
        f"distinct_actors) SELECT {event_day}, installation_id, account_id, app_id, feature, COUNT(*), "
        f"COUNT(DISTINCT actor_hash) FROM usage_events WHERE {raw_in_window} "
        f"GROUP BY {event_day}, installation_id, account_id, app_id, feature ORDER BY 1, 2, 5",
        "days"), window)
    connection.execute(_expanding(
        "INSERT INTO usage_actor_days (day, app_id, account_id, actor_hash) "
        f"SELECT DISTINCT {event_day}, app_id, account_id, actor_hash FROM usage_events "
        f"WHERE {raw_in_window} ORDER BY 1, 2, 3, 4", "days"), window)
    # Actors per feature: installations belong to one account and actor hashes are account-scoped,
    # so per-installation distinct counts add up exactly.
    connection.execute(_expanding(
        "INSERT INTO usage_feature_days (day, app_id, feature, events, actors, accounts) "
        "SELECT day, app_id, feature, SUM(events), SUM(distinct_actors), COUNT(DISTINCT account_id) "
        "FROM usage_daily_rollups WHERE day IN :days GROUP BY day, app_id, feature", "days"),
        {"days": day_list})


def _rebuild_month_rollups(connection: Connection, months: list[date]) -> None:
    dialect = connection.dialect.name
    month = month_of(dialect, "day")
    bounds = {"months": months, "lo": months[0], "hi": _next_month(months[-1])}
    in_months = f"day >= :lo AND day < :hi AND {month} IN :months"
    for table in ("usage_feature_months", "usage_account_months"):
        connection.execute(_expanding(f"DELETE FROM {table} WHERE month IN :months", "months"),
                           {"months": months})
    connection.execute(_expanding(
        "INSERT INTO usage_feature_months (month, app_id, feature, events, accounts) "
        f"SELECT {month}, app_id, feature, SUM(events), COUNT(DISTINCT account_id) "
        f"FROM usage_daily_rollups WHERE {in_months} GROUP BY {month}, app_id, feature", "months"), bounds)
    connection.execute(_expanding(
        "INSERT INTO usage_account_months (month, account_id, app_id, events, active_days, actors) "
        "SELECT e.month, e.account_id, e.app_id, e.events, e.active_days, COALESCE(a.actors, 0) FROM "
        f"(SELECT {month} AS month, account_id, app_id, SUM(events) AS events, "
        f"COUNT(DISTINCT day) AS active_days FROM usage_daily_rollups WHERE {in_months} "
        f"GROUP BY {month}, account_id, app_id) e LEFT JOIN "
        f"(SELECT {month} AS month, account_id, app_id, COUNT(DISTINCT actor_hash) AS actors "
        f"FROM usage_actor_days WHERE {in_months} GROUP BY {month}, account_id, app_id) a "
        "ON a.month = e.month AND a.account_id = e.account_id AND a.app_id = e.app_id",
        "months"), bounds)


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _rebuild_daily_actives(connection: Connection, *, start: date) -> int:
    """DAU/WAU/MAU and 30-day active accounts for every day from `start` to the last active day.

    For each member (an actor, or an account) ordered by active day, a day d with the next active
    day n keeps the member counted in a W-day window from d until min(d + W, n). Summing those
    spans as +1/-1 steps gives every window's distinct count in one ordered pass, and only the
    members' spans (grouped to at most 31 lengths per day) leave the database.
    """
    dialect = connection.dialect.name
    first_needed = start - timedelta(days=max(WINDOWS.values()) - 1)
    steps: dict[tuple[str, int], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    members = {"account_id, actor_hash": WINDOWS, "account_id": {"active_accounts": 30}}
    for member, windows in members.items():
        for app_expr in ("app_id", str(ALL_APPS)):
            for app_id, day_n, gap, count in _spans(connection, dialect, app_expr, member, first_needed):
                for name, width in windows.items():
                    series = steps[(name, app_id)]
                    series[day_n] += count
                    series[day_n + min(gap, width)] -= count
    events = _events_by_app_day(connection, first_needed)
    rows = _active_rows(steps, events, start=start)
    connection.execute(text("DELETE FROM app_daily_actives WHERE day >= :start"), {"start": start})
    if rows:
        connection.execute(text(
            "INSERT INTO app_daily_actives (day, app_id, dau, wau, mau, active_accounts, events) "
            "VALUES (:day, :app_id, :dau, :wau, :mau, :active_accounts, :events)"), rows)
    return len(rows)


def _spans(connection: Connection, dialect: str, app_expr: str, member: str, first_needed: date):
    n = day_number(dialect, "day")
    cap = max(WINDOWS.values()) + 1
    statement = (
        f"SELECT app_id, d, CASE WHEN nd IS NULL OR nd - d >= {cap} THEN {cap} ELSE nd - d END AS gap, "
        "COUNT(*) FROM (SELECT app_id, d, LEAD(d) OVER (PARTITION BY app_id, "
        f"{member} ORDER BY d) AS nd FROM (SELECT DISTINCT {app_expr} AS app_id, "
        f"{member}, {n} AS d FROM usage_actor_days WHERE day >= :first) m) s "
        "GROUP BY app_id, d, gap"
    )
    return connection.execute(text(statement), {"first": first_needed}).all()


def _events_by_app_day(connection: Connection, first_needed: date) -> dict[tuple[int, int], int]:
    n = day_number(connection.dialect.name, "day")
    rows = connection.execute(text(
        f"SELECT app_id, {n}, SUM(events) FROM usage_feature_days WHERE day >= :first GROUP BY app_id, {n}"),
        {"first": first_needed}).all()
    events: dict[tuple[int, int], int] = defaultdict(int)
    for app_id, day_n, count in rows:
        events[(app_id, day_n)] += count
        events[(ALL_APPS, day_n)] += count
    return events


def _active_rows(steps: dict[tuple[str, int], dict[int, int]], events: dict[tuple[int, int], int], *,
                 start: date) -> list[dict[str, object]]:
    start_n = (start - EPOCH).days
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
                rows.append({"day": EPOCH + timedelta(days=day_n), "app_id": app_id, **running,
                             "events": events.get((app_id, day_n), 0)})
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


def rebuild_all(session: Session) -> RollupResult:
    """Recompute every rollup from the raw events still stored (after a bulk load)."""
    dialect = session.connection().dialect.name
    day = utc_day(dialect, "occurred_at")
    rows = session.connection().execute(text(f"SELECT DISTINCT {day} FROM usage_events")).all()
    return refresh_rollups(session, days=[as_date(value) for (value,) in rows])
