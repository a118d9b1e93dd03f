"""Hypothesis fuzzing of every parser and entry point people or files feed: usage rows and files, the
Marketplace CSV, timestamps and dates, command-line arguments (query parameters:
tests/test_fuzz_query_params.py; amounts: the corrections engine's own tests).

Each asserts: a clear refusal (a reason, a ValidationError or exit code 2), never another exception,
and nothing written or deleted for what was refused.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from dashboard.access.identity import SYSTEM
from dashboard.cli import app
from dashboard.core import clock
from dashboard.core.errors import ValidationError
from dashboard.core.settings import reset_settings_cache
from dashboard.usage.ingest import ingest_events, ingest_file, parse_timestamp
from dashboard.usage.retention import MAX_RETENTION_DAYS
from dashboard.zendesk import marketplace_import as mi
from models import App, AuditEvent, Installation, UsageEvent
from tests.usage_store import NOW, add_installations, event

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Text people and files really send, and the awkward kinds: digits of other scripts, NUL, lone
# surrogates, huge numbers, far dates.
awkward_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["²", "٣", "\x00", "\ud800", "9" * 5000, "-1", "1e309", "", " ", "0001-01-01T00:00:00+05:00"]
    ),
    st.integers().map(str),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | awkward_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
FIELDS = ["event_id", "installation_id", "subdomain", "app", "feature", "actor", "occurred_at", "ip_address"]
usage_records = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=5), json_values, max_size=9)


def _count(session: Session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


@pytest.fixture
def usage_store(session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Session:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    reset_settings_cache()
    add_installations(session)
    session.commit()
    yield session
    reset_settings_cache()


@FUZZ
@given(records=st.lists(usage_records, min_size=1, max_size=4))
def test_any_usage_records_are_stored_or_refused_with_a_reason(usage_store: Session, records) -> None:
    session = usage_store
    try:
        result = ingest_events(session, records, actor=SYSTEM, now=NOW)
        assert result.received == len(records) == result.inserted + result.rejected_count + result.duplicates
        assert all(r.reason for r in result.rejected_sample)
        assert _count(session, UsageEvent) == result.inserted  # refused rows wrote nothing
    finally:
        session.rollback()


@FUZZ
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".jsonl", ".csv"]))
def test_any_bytes_in_a_usage_file_end_as_rows_or_rejects(
    usage_store: Session, tmp_path, data, suffix
) -> None:
    session = usage_store
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        result = ingest_file(session, path, actor=SYSTEM, now=NOW)
        assert _count(session, UsageEvent) == result.inserted
        assert result.inserted + result.rejected_count + result.duplicates == result.received
    finally:
        session.rollback()


@given(st.text(max_size=40) | awkward_text)
def test_timestamps_parse_to_aware_utc_or_none(text: str) -> None:
    parsed = parse_timestamp(text)
    assert parsed is None or (parsed.tzinfo is not None and parsed.utcoffset().total_seconds() == 0)


@pytest.fixture
def marketplace_store(session: Session) -> Session:
    session.add(App(slug="tagger", name="Tagger", zendesk_app_id=900001))
    session.commit()
    return session


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["subdomain", "app_id", "installation_id", "installed_at", "state", "paid", "seats"])
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8", errors="surrogatepass")


cells = st.one_of(awkward_text, st.sampled_from(["acme", "900001", "7", "2026-01-10", "enabled", "true"]))


def _check_import(session: Session, data: bytes) -> None:
    before = _count(session, Installation)
    try:
        try:
            parsed = mi.parse_export(session, data)
        except ValidationError as error:
            assert error.message and _count(session, Installation) == before
            return
        plan = mi.plan_import(session, parsed)
        assert len(plan) == len(parsed.rows) and all(r.reason for r in parsed.rejected)
        report = mi.apply_import(session, SYSTEM, parsed, file_name="fuzz.csv")
        session.flush()
        assert _count(session, Installation) == before + report.created
    finally:
        session.rollback()


@FUZZ
@given(rows=st.lists(st.lists(cells, min_size=7, max_size=8), min_size=1, max_size=4))
def test_any_marketplace_cells_import_or_are_rejected(marketplace_store: Session, rows) -> None:
    _check_import(marketplace_store, _csv(rows))


@FUZZ
@given(data=st.binary(max_size=2000))
def test_any_bytes_as_a_marketplace_file_are_refused_or_read(marketplace_store: Session, data) -> None:
    _check_import(marketplace_store, data)


@pytest.fixture
def cli_store(engine, session: Session, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Session:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    reset_settings_cache()
    add_installations(session)
    records = [event(f"e{n}", f"2026-10-{10 + n}T10:00:00Z", "u", installation_id="1") for n in range(3)]
    ingest_events(session, records, actor=SYSTEM, now=NOW)
    session.commit()
    yield session
    reset_settings_cache()


def _in_range(text: str) -> bool:
    """Whether click reads `text` as a valid retention, as `int()` does ("٣" is 3): those runs delete."""
    try:
        return len(text) < 20 and 1 <= int(text) <= MAX_RETENTION_DAYS
    except ValueError:
        return False


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(days="0", mode="delete")
@example(days="1000000", mode="delete")
@example(days="90", mode="shred")
@given(
    days=awkward_text | st.integers().map(str),
    mode=st.sampled_from(["delete", "truncate_ip", "shred", "²", ""]),
)
def test_purge_usage_with_any_arguments_refuses_with_exit_2_and_deletes_nothing(
    cli_store, days, mode
) -> None:
    assume(not (_in_range(days) and mode in ("delete", "truncate_ip")))
    session = cli_store
    before = (_count(session, UsageEvent), _count(session, AuditEvent))
    with clock.frozen_at(datetime(2026, 11, 22, 12, tzinfo=UTC)):
        result = CliRunner().invoke(app, ["purge", "usage", "--days", days, "--mode", mode])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    session.rollback()
    assert (_count(session, UsageEvent), _count(session, AuditEvent)) == before


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    content=st.binary(max_size=500) | st.lists(json_values, max_size=3).map(lambda v: json.dumps(v).encode())
)
@example(content=b"\x1c")  # Python's str.strip() takes it for whitespace; JSON Lines does not
def test_audit_verify_with_any_checkpoint_file_refuses_cleanly(cli_store, tmp_path, content) -> None:
    path = tmp_path / "checkpoints.jsonl"
    path.write_bytes(content)
    result = CliRunner().invoke(app, ["audit", "verify", "--checkpoints", str(path)])
    assert result.exit_code in (0, 1, 2) and isinstance(result.exception, SystemExit | None), result.output
    if content.strip():
        assert result.exit_code == 2 and "Checkpoint line" in result.output
