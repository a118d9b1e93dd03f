"""Daily rollups, rebuilt for just the days that received events, and the tables pages read.

Layers, each built from the one before (so pages never touch raw events):
  usage_events -> usage_daily_rollups (day, installation, feature) and usage_actor_days (day, app,
  account, actor) -> usage_feature_days, usage_feature_months, usage_account_months, app_daily_actives
  (DAU/WAU/MAU by sliding windows) -> usage_cohorts.
Rollups outlive the raw events (see retention.py), so month-level tables are rebuilt from day rollups.
A refresh of listed days folds each day into the derived tables (its old rows out, its new rows in)
so that its cost follows that day's rows, not the history; `rebuild_all` recomputes them whole.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Connection, Row, TextClause, bindparam, text
from sqlmodel import Session

from dashboard.usage.bulk import SQLITE_BULK_CACHE_KIB
from dashboard.usage.sqlparts import EPOCH, as_date, day_number, day_start, month_of, time_param, utc_day

WINDOWS = {"dau": 1, "wau": 7, "mau": 30}
ALL_APPS = 0
DAY_TABLES = ("usage_daily_rollups", "usage_actor_days", "usage_feature_days")
POSTGRES_BULK_WORK_MEM = "512MB"
# Who counts in app_daily_actives: (table, member columns, figures with their window in days).
ACTIVE_MEMBERS = (
    ("usage_actor_days", ("account_id", "actor_hash"), WINDOWS),
    ("usage_daily_rollups", ("account_id",), {"active_accounts": 30}),
)
# Values bound in one IN list at most (SQLite allows 32,766 parameters, psycopg 65,535).
BOUND_LIST_LIMIT = 10_000
ONE_DAY = timedelta(days=1)
# A day's part in app_daily_actives: (figure, app_id, days after the day) -> change in the figure.
_Changes = dict[tuple[str, int, int], int]


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
class _DayScope:
    """Which day rows to rebuild: `raw` events aggregate into the day rows matching `raw_days`, and
    usage_feature_days rebuilds its `days` from the day rollups."""

    raw: _Where
    raw_days: _Where
    days: _Where


def refresh_rollups(session: Session, *, days: Iterable[date]) -> RollupResult:
    """Rebuild the day rollups of `days` (UTC) from their events and fold each day's change into the
    month rollups, cohorts and daily actives. The caller commits.

    Each day is taken out of the derived tables as it was, rebuilt, and put back in, so the work is
    bounded by that day's rows (plus index look-ups of each of its members' neighbouring days), not by
    the history around it.
    """
    day_list = sorted(set(days))
    if not day_list:
        return RollupResult(0, 0, 0)
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}")
    active_days = sum(_refresh_day(connection, day) for day in day_list)
    return RollupResult(len(day_list), len({d.replace(day=1) for d in day_list}), active_days)


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
    if dialect == "sqlite":
        connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}")
    else:
        # In the default 4 MB, de-duplicating the ~9M actor days of 10M events spilled its hash
        # aggregate to disk pass after pass (one statement ran for over 15 minutes).
        connection.exec_driver_sql(f"SET LOCAL work_mem = '{POSTGRES_BULK_WORK_MEM}'")
    _rebuild_day_rollups(connection, _DayScope(raw=EVERY_ROW, raw_days=rebuilt, days=EVERY_ROW))
    _refresh_statistics(connection)
    _rebuild_month_rollups(connection)
    active_days = _rebuild_daily_actives(connection, start=None)
    _rebuild_cohorts(connection)
    days, months = connection.execute(
        rebuilt.bind(
            f"SELECT COUNT(DISTINCT day), COUNT(DISTINCT {month_of(dialect, 'day')}) FROM usage_feature_days "
            f"{rebuilt.sql}"
        ),
        rebuilt.params,
    ).one()
    return RollupResult(days, months, active_days)


def _day_scope(dialect: str, day: date) -> _DayScope:
    event_day = utc_day(dialect, "occurred_at")
    raw = _Where(
        f"WHERE occurred_at >= :lo AND occurred_at < :hi AND {event_day} = :day",
        {
            "day": day,
            "lo": time_param(dialect, day_start(day)),
            "hi": time_param(dialect, day_start(day + ONE_DAY)),
        },
    )
    one_day = _Where("WHERE day = :day", {"day": day})
    return _DayScope(raw=raw, raw_days=one_day, days=one_day)


def _refresh_day(connection: Connection, day: date) -> int:
    """One day out of the derived tables, its day rollups rebuilt, the day back in; returns the
    app_daily_actives rows written."""
    presence = _month_presence(connection, day)
    leaving = _active_changes(connection, day, sign=-1)
    _fold_month_rollups(connection, day, sign=-1)
    _rebuild_day_rollups(connection, _day_scope(connection.dialect.name, day))
    _fold_month_rollups(connection, day, sign=1)
    _refresh_cohorts(connection, day, presence)
    arriving = _active_changes(connection, day, sign=1)
    return _apply_active_changes(connection, day, leaving, arriving)


def _refresh_statistics(connection: Connection) -> None:
    """PostgreSQL: ANALYZE the day tables just refilled in this transaction (autovacuum cannot see
    them yet). Without statistics the planner took 1M actor days for 40,000 groups and chose a
    parallel hash aggregate that ran over 40 s; with them the same DISTINCT takes 0.5 s."""
    if connection.dialect.name == "postgresql":
        for table in DAY_TABLES:
            connection.exec_driver_sql(f"ANALYZE {table}")


def _execute(connection: Connection, where: _Where, statement: str) -> None:
    connection.execute(where.bind(statement), where.params)


def _rebuild_day_rollups(connection: Connection, scope: _DayScope) -> None:
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


def _rebuild_month_rollups(connection: Connection) -> None:
    month = month_of(connection.dialect.name, "day")
    for table in ("usage_feature_months", "usage_account_months"):
        connection.execute(text(f"DELETE FROM {table}"))
    connection.execute(
        text(
            "INSERT INTO usage_feature_months (month, app_id, feature, events, accounts) "
            f"SELECT {month}, app_id, feature, SUM(events), COUNT(DISTINCT account_id) "
            f"FROM usage_daily_rollups GROUP BY {month}, app_id, feature"
        )
    )
    connection.execute(
        text(
            "INSERT INTO usage_account_months (month, account_id, app_id, events, active_days, actors) "
            "SELECT e.month, e.account_id, e.app_id, e.events, e.active_days, COALESCE(a.actors, 0) FROM "
            f"(SELECT {month} AS month, account_id, app_id, SUM(events) AS events, "
            "COUNT(DISTINCT day) AS active_days FROM usage_daily_rollups "
            f"GROUP BY {month}, account_id, app_id) e LEFT JOIN "
            f"(SELECT {month} AS month, account_id, app_id, COUNT(DISTINCT actor_hash) AS actors "
            f"FROM usage_actor_days GROUP BY {month}, account_id, app_id) a "
            "ON a.month = e.month AND a.account_id = e.account_id AND a.app_id = e.app_id"
        )
    )


def _fold_month_rollups(connection: Connection, day: date, *, sign: int) -> None:
    """Add (sign 1) or take out (-1) the day's rows in its month's rollups. A distinct account or actor
    counts only if it has no other day in the month: an index look-up each, written as a scalar
    subquery so that PostgreSQL cannot turn it into an anti-join over the whole month."""
    month = day.replace(day=1)
    params = {"day": day, "month": month, "next": _next_month(month), "sign": sign}
    elsewhere_in_month = "o.day >= :month AND o.day < :next AND o.day <> :day"
    _upsert(
        connection,
        "usage_feature_months",
        ("month", "app_id", "feature"),
        ("events", "accounts"),
        "SELECT :month, r.app_id, r.feature, :sign * SUM(r.events), :sign * COUNT(DISTINCT CASE WHEN "
        "(SELECT 1 FROM usage_daily_rollups o WHERE o.app_id = r.app_id AND o.feature = r.feature AND "
        f"o.account_id = r.account_id AND {elsewhere_in_month} LIMIT 1) IS NULL "
        "THEN r.account_id END) FROM usage_daily_rollups r WHERE r.day = :day GROUP BY r.app_id, r.feature",
        params,
    )
    _upsert(
        connection,
        "usage_account_months",
        ("month", "account_id", "app_id"),
        ("events", "active_days", "actors"),
        "SELECT :month, e.account_id, e.app_id, :sign * e.events, :sign, :sign * COALESCE(a.actors, 0) "
        "FROM (SELECT account_id, app_id, SUM(events) AS events FROM usage_daily_rollups "
        "WHERE day = :day GROUP BY account_id, app_id) e LEFT JOIN "
        "(SELECT a.account_id, a.app_id, COUNT(*) AS actors FROM usage_actor_days a WHERE a.day = :day "
        "AND (SELECT 1 FROM usage_actor_days o WHERE o.app_id = a.app_id AND o.account_id = a.account_id "
        f"AND o.actor_hash = a.actor_hash AND {elsewhere_in_month} LIMIT 1) IS NULL "
        "GROUP BY a.account_id, a.app_id) a ON a.account_id = e.account_id AND a.app_id = e.app_id",
        params,
    )
    # A month row exists only while some day of the month has one (as a full rebuild makes them).
    connection.execute(text("DELETE FROM usage_feature_months WHERE month = :month AND events = 0"), params)
    connection.execute(
        text("DELETE FROM usage_account_months WHERE month = :month AND active_days = 0"), params
    )


def _upsert(
    connection: Connection,
    table: str,
    keys: tuple[str, ...],
    sums: tuple[str, ...],
    select: str,
    params: dict[str, object],
) -> None:
    """INSERT the rows of `select` (the key columns, then the sums), adding the sums to existing rows."""
    added = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in sums)
    # WHERE true: SQLite otherwise reads ON CONFLICT as a join constraint.
    connection.execute(
        text(
            f"INSERT INTO {table} ({', '.join(keys + sums)}) SELECT * FROM ({select}) folded WHERE true "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {added}"
        ),
        params,
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
    for _, member, windows in ACTIVE_MEMBERS:
        for app_expr in ("app_id", str(ALL_APPS)):
            for app_id, day_n, gap, count in _spans(connection, dialect, app_expr, ", ".join(member), needed):
                for name, width in windows.items():
                    series = steps[(name, app_id)]
                    series[day_n] += count
                    series[day_n + min(gap, width)] -= count
    events = _events_by_app_day(connection, needed)
    # Apps idle through the whole window still have rows (of zeros) up to the last active day.
    apps = {app_id for (_, app_id) in steps}
    if start:
        listed = text("SELECT DISTINCT app_id FROM app_daily_actives WHERE day < :start")
        apps.update(connection.execute(listed, {"start": start}).scalars())
    rows = _active_rows(steps, events, start=start, apps=apps)
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
    steps: dict[tuple[str, int], dict[int, int]],
    events: dict[tuple[int, int], int],
    *,
    start: date | None,
    apps: set[int],
) -> list[dict[str, object]]:
    start_n = (start - EPOCH).days if start else min((day_n for (_, day_n) in events), default=0)
    last_n = max((day_n for (_, day_n) in events), default=start_n - 1)
    rows = []
    for app_id in sorted(apps):
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


def _month_presence(connection: Connection, day: date) -> dict[tuple[int, int], int]:
    """Active days in the day's month of each (account, app) active on the day."""
    rows = connection.execute(
        text(
            "SELECT r.account_id, r.app_id, COALESCE(m.active_days, 0) FROM "
            "(SELECT DISTINCT account_id, app_id FROM usage_daily_rollups WHERE day = :day) r "
            "LEFT JOIN usage_account_months m ON m.month = :month AND m.account_id = r.account_id "
            "AND m.app_id = r.app_id"
        ),
        {"day": day, "month": day.replace(day=1)},
    ).all()
    return {(account_id, app_id): days for account_id, app_id, days in rows}


def _refresh_cohorts(connection: Connection, day: date, before: dict[tuple[int, int], int]) -> None:
    """Cohorts change only for the accounts whose month row for an app the day created or removed
    (`before`: _month_presence before the day was rebuilt); their counts are redone from their rows."""
    after = _month_presence(connection, day)
    month = day.replace(day=1)
    vanished = {(*pair, month) for pair, days in before.items() if days == 1 and pair not in after}
    appeared = {(*pair, month) for pair, days in after.items() if days == 1 and pair not in before}
    accounts = sorted({account_id for account_id, _, _ in vanished | appeared})
    if not accounts:
        return
    present: set[tuple[int, int, date]] = set()
    for start in range(0, len(accounts), BOUND_LIST_LIMIT):
        theirs = _Where(
            "WHERE account_id IN :accounts", {"accounts": accounts[start : start + BOUND_LIST_LIMIT]}
        )
        found = connection.execute(
            theirs.bind(f"SELECT account_id, app_id, month FROM usage_account_months {theirs.sql}"),
            theirs.params,
        )
        present.update((account_id, app_id, as_date(row_month)) for account_id, app_id, row_month in found)
    change = _cohort_counts(present)
    change.subtract(_cohort_counts((present - appeared) | vanished))
    rows = [
        {"app_id": app_id, "cohort_month": cohort, "month": active, "accounts": count}
        for (app_id, cohort, active), count in change.items()
        if count
    ]
    if rows:
        connection.execute(
            text(
                "INSERT INTO usage_cohorts (app_id, cohort_month, month, accounts) "
                "VALUES (:app_id, :cohort_month, :month, :accounts) "
                "ON CONFLICT (app_id, cohort_month, month) DO UPDATE SET accounts = usage_cohorts.accounts + "
                "excluded.accounts"
            ),
            rows,
        )
        connection.execute(text("DELETE FROM usage_cohorts WHERE accounts = 0"))


def _cohort_counts(present: set[tuple[int, int, date]]) -> Counter[tuple[int, date, date]]:
    """(app, first month, month) -> accounts, per app and for any app, of (account, app, month) rows."""
    months: dict[tuple[int, int], set[date]] = defaultdict(set)
    for account_id, app_id, month in present:
        months[(app_id, account_id)].add(month)
        months[(ALL_APPS, account_id)].add(month)
    counts: Counter[tuple[int, date, date]] = Counter()
    for (app_id, _), active in months.items():
        first = min(active)
        counts.update((app_id, first, month) for month in active)
    return counts


def _active_changes(connection: Connection, day: date, *, sign: int) -> _Changes:
    """What the members active on `day` add to (sign 1) or take from (-1) each figure of the windows
    ending `offset` days later: (figure, app_id, offset) -> change.

    A member counts in the W-day window ending t if it was active on some day in (t - W, t], so `day`
    covers the windows from its previous active day + W (or from `day`) to its next active day (or
    `day` + W); those neighbours are index look-ups, at most 29 days away.
    """
    reach = timedelta(days=max(WINDOWS.values()) - 1)
    params = {"day": day, "lo": day - reach, "hi": day + reach}
    changes: _Changes = defaultdict(int)
    for table, member, windows in ACTIVE_MEMBERS:
        for per_app in (True, False):
            for app_id, previous, following, count in _neighbours(connection, table, member, per_app, params):
                since = (day - as_date(previous)).days if previous else None
                until = (as_date(following) - day).days if following else None
                for name, width in windows.items():
                    first = max(0, width - since) if since else 0
                    for offset in range(first, min(width, until) if until else width):
                        changes[(name, app_id, offset)] += sign * count
    return changes


def _neighbours(
    connection: Connection, table: str, member: tuple[str, ...], per_app: bool, params: dict[str, object]
) -> Sequence[Row]:
    """(app, previous active day, next active day, members) of the members active on :day."""
    keys = ("app_id", *member) if per_app else member
    match = " AND ".join(f"o.{key} = s.{key}" for key in keys)
    # MATERIALIZED: SQLite otherwise ran both look-ups again for the GROUP BY.
    statement = (
        "WITH n AS MATERIALIZED (SELECT s.app_id, "
        f"(SELECT MAX(o.day) FROM {table} o WHERE {match} AND o.day >= :lo AND o.day < :day) AS previous, "
        f"(SELECT MIN(o.day) FROM {table} o WHERE {match} AND o.day > :day AND o.day <= :hi) AS following "
        f"FROM (SELECT DISTINCT {'app_id' if per_app else ALL_APPS} AS app_id, {', '.join(member)} "
        f"FROM {table} WHERE day = :day) s) "
        "SELECT app_id, previous, following, COUNT(*) FROM n GROUP BY app_id, previous, following"
    )
    return connection.execute(text(statement), params).all()


def _apply_active_changes(connection: Connection, day: date, leaving: _Changes, arriving: _Changes) -> int:
    """Add the day's changes to app_daily_actives and set its events; returns the rows written.

    Rows run per app from its first active day to the last active day of any app. A day that adds
    rows (after the last one, or an app's first) or ends an app's day removes them, so it rebuilds
    from that day instead (reading the 30 days before it)."""
    last = connection.execute(text("SELECT MAX(day) FROM app_daily_actives")).scalar_one()
    on_day = {"day": day}
    listed = set(
        connection.execute(text("SELECT app_id FROM app_daily_actives WHERE day = :day"), on_day).scalars()
    )
    apps = text("SELECT DISTINCT app_id FROM usage_feature_days WHERE day = :day")
    active = {ALL_APPS, *connection.execute(apps, on_day).scalars()}
    was_active = {app_id for (_, app_id, _) in leaving}
    if last is None or as_date(last) < day or not was_active <= active <= listed:
        return _rebuild_daily_actives(
            connection, start=None if last is None else min(day, as_date(last) + ONE_DAY)
        )
    names = [*WINDOWS, "active_accounts"]
    rows: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(names, 0))
    for part in (leaving, arriving):
        for (name, app_id, offset), count in part.items():
            if day + timedelta(days=offset) <= as_date(last):
                rows[(app_id, offset)][name] += count
    written = [
        {"day": day + timedelta(days=offset), "app_id": app_id, **counts}
        for (app_id, offset), counts in rows.items()
        if any(counts.values())
    ]
    if written:
        connection.execute(
            text(
                "UPDATE app_daily_actives SET "
                + ", ".join(f"{name} = {name} + :{name}" for name in names)
                + " WHERE day = :day AND app_id = :app_id"
            ),
            written,
        )
    connection.execute(
        text(
            "UPDATE app_daily_actives SET events = COALESCE((SELECT SUM(f.events) FROM usage_feature_days f "
            f"WHERE f.day = app_daily_actives.day AND (app_daily_actives.app_id = {ALL_APPS} "
            "OR f.app_id = app_daily_actives.app_id)), 0) WHERE day = :day"
        ),
        {"day": day},
    )
    return len(written)
