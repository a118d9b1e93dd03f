"""Usage events in monthly PostgreSQL partitions (revision 0012, dashboard/usage/partitions.py): made
ahead of time, rows in their month's partition, retention by whole partitions, one-day rollups reading
one partition. SQLite keeps one table: there the command does nothing, and its argument checks hold.

The PostgreSQL tests share one migrated schema per module; each starts with the default partition only
and no rows (the migration's own months are tested on a schema of their own)."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, event, text
from sqlmodel import Session, SQLModel, select
from typer.testing import CliRunner

from dashboard.access.identity import SYSTEM
from dashboard.cli import app
from dashboard.core.db import alembic_config, make_engine, migrate
from dashboard.core.settings import reset_settings_cache
from dashboard.demo import usage as demo_usage
from dashboard.demo.context import SIZES, DemoContext
from dashboard.usage.bulk import EventRow, insert_events
from dashboard.usage.partitions import (
    DEFAULT_PARTITION,
    drop_expired_partitions,
    ensure_partitions,
    monthly_partitions,
    partition_name,
)
from dashboard.usage.retention import purge_usage, retention_cutoff
from dashboard.usage.rollup import refresh_rollups
from models import AuditEvent, SyncRun, UsageEvent
from tests.usage_store import add_installations

runner = CliRunner()
ACTOR = bytes(16)


def _schema_engine(url: str) -> tuple[Engine, Engine, str]:
    name = f"console_parts_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    return admin, make_engine(f"{url}?options=-csearch_path%3D{name}"), name


def _drop_schema(admin: Engine, engine: Engine, name: str) -> None:
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="module")
def pg_schema(postgres_url: str) -> Iterator[Engine]:
    admin, engine, name = _schema_engine(postgres_url)
    migrate(engine)
    yield engine
    _drop_schema(admin, engine, name)


@pytest.fixture
def pg(pg_schema: Engine) -> Iterator[Engine]:
    """The module's PostgreSQL schema with no rows and only the default partition."""
    with pg_schema.begin() as conn:
        for month in monthly_partitions(conn):
            conn.execute(text(f"DROP TABLE {partition_name(month)}"))
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    with Session(pg_schema) as session:
        add_installations(session)
    yield pg_schema


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    if request.param == "postgresql":
        yield request.getfixturevalue("pg")
        return
    path = tmp_path / "console.sqlite3"
    shutil.copy(request.getfixturevalue("sqlite_template"), path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def _invoker(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    reset_settings_cache()
    yield lambda *args: runner.invoke(app, list(args))
    reset_settings_cache()


@pytest.fixture
def cli(store: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator:
    yield from _invoker(store, monkeypatch, tmp_path)


@pytest.fixture
def pg_cli(pg: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator:
    yield from _invoker(pg, monkeypatch, tmp_path)


def _row(event_id: str, occurred_at: str) -> EventRow:
    return (event_id, 1, 1, 1, "apply_rule", ACTOR, occurred_at, None, None)


def _insert(engine: Engine, *rows: EventRow) -> int:
    with engine.begin() as conn:
        return insert_events(conn, list(rows))


def _where(conn: Connection) -> dict[str, str]:
    """Each event id and the partition its row is stored in."""
    rows = conn.execute(text("SELECT event_id, tableoid::regclass::text FROM usage_events ORDER BY id"))
    return dict(rows.all())


def _children(conn: Connection) -> set[str]:
    statement = "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'usage_events'::regclass"
    return set(conn.execute(text(statement)).scalars())


# -- making partitions -------------------------------------------------------------------------------


def test_partitions_are_made_for_this_month_and_the_next_ones_across_a_new_year(pg: Engine) -> None:
    made = ensure_partitions(pg, today=date(2026, 11, 30), months_ahead=2)

    assert made == [date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)]
    with pg.connect() as conn:
        assert _children(conn) == {
            DEFAULT_PARTITION,
            "usage_events_2026_11",
            "usage_events_2026_12",
            "usage_events_2027_01",
        }
    # Again: nothing is missing, nothing is made.
    assert ensure_partitions(pg, today=date(2026, 12, 1), months_ahead=1) == []
    assert ensure_partitions(pg, today=date(2026, 12, 31), months_ahead=1) == []


def test_rows_land_in_their_months_partition_by_utc_instant(pg: Engine) -> None:
    ensure_partitions(pg, today=date(2026, 12, 1), months_ahead=1)
    _insert(
        pg,
        _row("nov-last", "2026-11-30 23:59:59.999999"),
        _row("dec-first", "2026-12-01 00:00:00.000000"),
        _row("dec-last", "2026-12-31 23:59:59.000000"),
        _row("jan-first", "2027-01-01 00:00:00.000000"),
        _row("far", "2027-06-15 12:00:00.000000"),
    )

    with pg.connect() as conn:
        assert _where(conn) == {
            "nov-last": DEFAULT_PARTITION,  # no November partition was made
            "dec-first": "usage_events_2026_12",
            "dec-last": "usage_events_2026_12",
            "jan-first": "usage_events_2027_01",
            "far": DEFAULT_PARTITION,
        }


def test_rows_in_the_default_partition_move_to_their_new_months_partition(pg: Engine) -> None:
    _insert(pg, _row("nov", "2026-11-15 08:00:00.000000"), _row("june", "2027-06-15 12:00:00.000000"))
    with pg.connect() as conn:
        assert set(_where(conn).values()) == {DEFAULT_PARTITION}
        ids = dict(conn.execute(text("SELECT event_id, id FROM usage_events")).all())

    made = ensure_partitions(pg, today=date(2026, 12, 5), months_ahead=0)

    assert made == [date(2026, 11, 1), date(2026, 12, 1), date(2027, 6, 1)]
    with pg.connect() as conn:
        assert _where(conn) == {"nov": "usage_events_2026_11", "june": "usage_events_2027_06"}
        assert dict(conn.execute(text("SELECT event_id, id FROM usage_events")).all()) == ids
        assert conn.execute(text(f"SELECT COUNT(*) FROM {DEFAULT_PARTITION}")).scalar_one() == 0
    _insert(pg, _row("next", "2026-11-16 08:00:00.000000"))  # the sequence goes on after the moved rows
    with pg.connect() as conn:
        assert conn.execute(text("SELECT id FROM usage_events WHERE event_id = 'next'")).scalar_one() > max(
            ids.values()
        )


def test_a_duplicate_event_id_in_one_month_is_refused_in_another_month_it_is_stored(pg: Engine) -> None:
    ensure_partitions(pg, today=date(2026, 11, 1), months_ahead=1)
    assert _insert(pg, _row("e1", "2026-11-02 10:00:00.000000")) == 1
    # Same id, same month, another instant: the month's unique index refuses it (ingest skips it).
    assert _insert(pg, _row("e1", "2026-11-28 10:00:00.000000")) == 0
    assert _insert(pg, _row("e1", "2026-11-02 10:00:00.000000")) == 0
    # The documented limit: uniqueness is per partition, so another month stores it again.
    assert _insert(pg, _row("e1", "2026-12-02 10:00:00.000000")) == 1
    with pg.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM usage_events WHERE event_id = 'e1'")).scalar_one() == 2


def test_partitions_and_the_default_one_each_have_a_unique_event_id_index(pg: Engine) -> None:
    ensure_partitions(pg, today=date(2026, 11, 1), months_ahead=0)
    with pg.connect() as conn:
        unique = conn.execute(
            text(
                "SELECT tablename FROM pg_indexes WHERE indexdef LIKE 'CREATE UNIQUE INDEX%(event_id)' "
                "AND schemaname = current_schema()"
            )
        ).scalars()
        assert set(unique) == {DEFAULT_PARTITION, "usage_events_2026_11"}
        key = conn.execute(
            text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'usage_events'::regclass AND contype = 'p'"
            )
        )
        assert key.scalar_one() == "PRIMARY KEY (id, occurred_at)"


# -- retention -----------------------------------------------------------------------------------------


def _months_of_events(pg: Engine) -> None:
    ensure_partitions(pg, today=date(2026, 8, 1), months_ahead=4)  # August to December
    _insert(
        pg,
        _row("aug", "2026-08-10 10:00:00.000000"),
        _row("sep-end", "2026-09-30 23:59:59.000000"),
        _row("oct-early", "2026-10-05 10:00:00.000000"),
        _row("oct-late", "2026-10-25 10:00:00.000000"),
        _row("nov", "2026-11-20 10:00:00.000000"),
        _row("stray", "2026-03-01 10:00:00.000000"),  # before every partition: in the default one
    )


def test_retention_drops_the_whole_months_before_the_cutoff_and_deletes_the_boundary_months_rest(
    pg: Engine,
) -> None:
    _months_of_events(pg)
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)  # 30 days: the cutoff is 2026-10-23 00:00 UTC

    with Session(pg) as session:
        result = purge_usage(session, actor=SYSTEM, days=30, mode="delete", now=now)
        session.commit()

    assert result.events == 4
    with pg.connect() as conn:
        assert _children(conn) == {
            DEFAULT_PARTITION,
            "usage_events_2026_10",
            "usage_events_2026_11",
            "usage_events_2026_12",
        }
        assert _where(conn) == {"oct-late": "usage_events_2026_10", "nov": "usage_events_2026_11"}
    with Session(pg) as session:
        [audited] = session.exec(select(AuditEvent).where(AuditEvent.action == "usage.purge.delete")).all()
        assert audited.details["events"] == 4


def test_dropping_expired_partitions_in_a_dry_run_changes_nothing(pg: Engine) -> None:
    _months_of_events(pg)
    cutoff = retention_cutoff(datetime(2026, 11, 22, 12, tzinfo=UTC), 30)
    with pg.begin() as conn:
        before = (_children(conn), _where(conn))
        planned = drop_expired_partitions(conn, cutoff=cutoff, dry_run=True)
        assert [(p.month, p.events) for p in planned] == [(date(2026, 8, 1), 1), (date(2026, 9, 1), 1)]
        assert (_children(conn), _where(conn)) == before


def test_a_cutoff_on_the_first_of_a_month_drops_the_month_before_it_whole(pg: Engine) -> None:
    _months_of_events(pg)
    with pg.begin() as conn:
        dropped = drop_expired_partitions(conn, cutoff=datetime(2026, 10, 1, tzinfo=UTC))
        assert [p.month for p in dropped] == [date(2026, 8, 1), date(2026, 9, 1)]
        assert "usage_events_2026_10" in _children(conn)


# -- one day's rollup reads one partition ----------------------------------------------------------------


def test_a_one_day_rollup_reads_only_that_days_partition(pg: Engine) -> None:
    ensure_partitions(pg, today=date(2026, 9, 1), months_ahead=3)
    _insert(pg, *(_row(f"e{m}", f"2026-{m:02d}-15 10:00:00.000000") for m in range(9, 13)))
    reads: list[tuple[str, dict]] = []

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:
        if "FROM usage_events WHERE" in statement and statement.lstrip().startswith("INSERT"):
            reads.append((statement, parameters))

    event.listen(pg, "before_cursor_execute", keep)
    try:
        with Session(pg) as session:
            refresh_rollups(session, days=[date(2026, 10, 15)])
            session.commit()
    finally:
        event.remove(pg, "before_cursor_execute", keep)

    assert len(reads) == 2  # the day rollups and the actor days
    with pg.connect() as conn:
        for statement, parameters in reads:
            plan = "\n".join(conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars())
            assert set(re.findall(r"usage_events_(?:\d{4}_\d{2}|default)", plan)) == {
                "usage_events_2026_10"
            }, plan


# -- the command and its job -----------------------------------------------------------------------------


@pytest.mark.parametrize("months", ["-1", "37", "soon"])
def test_partitions_command_refuses_bad_months_ahead_with_exit_2_and_records_nothing(
    cli, store: Engine, months: str
) -> None:
    result = cli("partitions", "usage", "--months-ahead", months)

    assert result.exit_code == 2, result.output
    with Session(store) as session:
        assert session.exec(select(SyncRun).where(SyncRun.kind == "usage_partitions")).all() == []


def test_partitions_dry_run_says_what_it_would_do_and_changes_nothing(cli, store: Engine, freeze) -> None:
    freeze(datetime(2026, 12, 31, 23, 0, tzinfo=UTC))
    with Session(store) as session:
        before = session.exec(select(AuditEvent)).all()

    result = cli("partitions", "usage", "--months-ahead", "1", "--dry-run")

    assert result.exit_code == 0, result.output
    if store.dialect.name == "sqlite":
        assert "not partitioned" in result.output
    else:
        assert "Partitions would be made: usage_events_2026_12, usage_events_2027_01." in result.output
        assert "Dry run: nothing was changed." in result.output
        with store.connect() as conn:
            assert _children(conn) == {DEFAULT_PARTITION}
    with Session(store) as session:
        assert session.exec(select(AuditEvent)).all() == before
        assert session.exec(select(SyncRun)).all() == []


def test_partitions_command_makes_months_ahead_drops_expired_ones_and_records_its_run(
    pg_cli, pg: Engine, freeze, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USAGE_RETENTION_DAYS", "30")
    reset_settings_cache()
    _months_of_events(pg)
    freeze(datetime(2026, 11, 22, 12, tzinfo=UTC))

    result = pg_cli("partitions", "usage", "--months-ahead", "2")

    assert result.exit_code == 0, result.output
    # March: the stray event's month gets a partition, which is past retention like August and September.
    assert "Partitions made: usage_events_2026_03, usage_events_2027_01." in result.output
    for month in ("03", "08", "09"):
        assert f"Partition usage_events_2026_{month} dropped (1 raw events)." in result.output
    with pg.connect() as conn:
        assert monthly_partitions(conn) == [date(2026, m, 1) for m in (10, 11, 12)] + [date(2027, 1, 1)]
        assert set(_where(conn)) == {"oct-early", "oct-late", "nov"}  # the purge job deletes oct-early
    with Session(pg) as session:
        [run] = session.exec(select(SyncRun).where(SyncRun.kind == "usage_partitions")).all()
        assert (run.status, run.counts) == ("succeeded", {"created": 2, "dropped": 3, "events": 3})
        [audited] = session.exec(select(AuditEvent).where(AuditEvent.action == "usage.partitions")).all()
        assert audited.details["dropped"] == [f"usage_events_2026_{m}" for m in ("03", "08", "09")]


# -- the demo ------------------------------------------------------------------------------------------


def test_demo_usage_gives_every_month_of_its_history_a_partition_before_loading(pg: Engine) -> None:
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    demo_usage.generate(
        DemoContext(engine=pg, size=replace(SIZES["small"], usage_events=3_000), seed=7, now=now)
    )

    with pg.connect() as conn:
        months = monthly_partitions(conn)
        assert (months[0], months[-1]) == (date(2025, 10, 1), date(2027, 2, 1))  # 400 days back, 3 ahead
        assert len(months) == 17
        stored = conn.execute(
            text("SELECT COUNT(*), COUNT(*) FILTER (WHERE tableoid = to_regclass(:d)) FROM usage_events"),
            {"d": DEFAULT_PARTITION},
        ).one()
    assert stored == (3_000, 0)


# -- the migration -------------------------------------------------------------------------------------


def test_migration_partitions_existing_events_by_month_and_its_downgrade_restores_one_table(
    postgres_url: str, freeze
) -> None:
    freeze(datetime(2026, 11, 22, 12, tzinfo=UTC))
    admin, engine, name = _schema_engine(postgres_url)
    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0011")
        with Session(engine) as session:
            add_installations(session)
        _insert(engine, _row("july", "2026-07-31 23:00:00.000000"), _row("nov", "2026-11-01 00:00:00.000000"))

        migrate(engine)

        with engine.connect() as conn:
            months = monthly_partitions(conn)
            assert (months[0], months[-1], len(months)) == (date(2026, 7, 1), date(2027, 2, 1), 8)
            assert _where(conn) == {"july": "usage_events_2026_07", "nov": "usage_events_2026_11"}
        _insert(engine, _row("dec", "2026-12-24 10:00:00.000000"))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0011")
        with Session(engine) as session:
            kept = session.exec(select(UsageEvent.id, UsageEvent.event_id).order_by(UsageEvent.id)).all()
            assert [event_id for _, event_id in kept] == ["july", "nov", "dec"]
            assert kept[-1][0] == 3  # the sequence went on after the upgrade
        _insert(engine, _row("jan", "2027-01-02 10:00:00.000000"))
        with engine.connect() as conn:  # and after the downgrade
            assert conn.execute(text("SELECT id FROM usage_events WHERE event_id = 'jan'")).scalar_one() == 4
        with engine.connect() as conn:
            relkind = conn.execute(text("SELECT relkind FROM pg_class WHERE oid = 'usage_events'::regclass"))
            assert relkind.scalar_one() == "r"
            here = "relnamespace = current_schema()::regnamespace"
            partitions = f"SELECT COUNT(*) FROM pg_class WHERE relispartition AND {here}"
            assert conn.execute(text(partitions)).scalar_one() == 0
    finally:
        _drop_schema(admin, engine, name)
