"""Ingest: bad rows refused with a reason, re-ingest adds nothing, the raw actor id never stored."""

from __future__ import annotations

import csv
import json
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, text
from sqlmodel import Session, SQLModel, select

from dashboard.access.identity import SYSTEM
from dashboard.core.settings import reset_settings_cache
from dashboard.usage.ingest import ingest_file
from models import AuditEvent, UsageAgent, UsageDailyRollup, UsageEvent
from tests.usage_store import NOW, add_installations, event

RAW_ACTOR = "zd-user-99173025"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Rejects files go to DATA_DIR/usage-rejects: a folder of this test's own."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    reset_settings_cache()
    yield tmp_path / "data"
    reset_settings_cache()


GOOD = [
    event("g1", "2026-11-20T09:00:00Z", RAW_ACTOR, installation_id="1"),
    event("g2", "2026-11-21T09:00:00+01:00", "42", subdomain="GLOBEX", app="tagger"),
    event("g3", "2026-11-21T10:00:00Z", "42", subdomain="globex", app="2"),
]
BAD = [
    (
        {**event("b1", "2026-11-20T09:00:00Z", "7", installation_id="1"), "feature": ""},
        "missing field: feature",
    ),
    (event("b2", "2026-11-20T09:00:00Z", "7", subdomain="nosuch", app="tagger"), "unknown installation"),
    (event("b3", "yesterday at noon", "7", installation_id="1"), "bad timestamp"),
    (event("b4", "2026-11-20T09:00:00", "7", installation_id="1"), "bad timestamp"),
    (event("b5", "2026-12-24T09:00:00Z", "7", installation_id="1"), "in the future"),
    (event("b6", "2026-11-20T09:00:00Z", "7", installation_id="999"), "unknown installation"),
    (event("b7", "2026-11-20T09:00:00Z", "7"), "missing field: installation_id or subdomain+app"),
    (
        {**event("b8", "2026-11-20T09:00:00Z", "7", installation_id="1"), "ip_address": "300.1.1.1"},
        "bad ip_address",
    ),
]


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records) + "not json at all\n")
    return path


def test_bad_rows_go_to_the_rejects_file_with_reasons_and_good_rows_go_in(
    session: Session, tmp_path: Path
) -> None:
    add_installations(session)
    source = _write_jsonl(tmp_path / "events.jsonl", GOOD + [record for record, _ in BAD])

    result = ingest_file(session, source, actor=SYSTEM, now=NOW)
    session.commit()

    assert (result.received, result.inserted, result.rejected_count) == (12, 3, 9)
    stored = session.exec(select(UsageEvent).order_by(UsageEvent.event_id)).all()
    agents = session.exec(select(UsageAgent)).all()  # the three events' one user agent, stored once
    assert [(a.browser, a.os) for a in agents] == [("Firefox", "Windows")]
    assert [(e.event_id, e.installation_id, e.agent_id) for e in stored] == [
        ("g1", 1, agents[0].id),
        ("g2", 2, agents[0].id),
        ("g3", 3, agents[0].id),
    ]
    assert stored[1].occurred_at.isoformat() == "2026-11-21T08:00:00+00:00"
    assert result.rejects_path.parent == tmp_path / "data" / "usage-rejects"
    rejects = [json.loads(line) for line in result.rejects_path.read_text().splitlines()]
    by_id = {item["record"].get("event_id"): item["reason"] for item in rejects}
    for record, reason in BAD:
        assert reason in by_id[record["event_id"]]
    assert rejects[-1]["line"] == 12 and rejects[-1]["reason"] == "not a JSON object"
    assert session.exec(select(func.sum(UsageDailyRollup.events))).one() == 3


def test_reingesting_the_same_file_adds_nothing(session: Session, tmp_path: Path) -> None:
    add_installations(session)
    source = tmp_path / "events.csv"
    with source.open("w", newline="") as handle:
        writer = csv.DictWriter(
            handle,
            fieldnames=[
                "event_id",
                "installation_id",
                "subdomain",
                "app",
                "feature",
                "actor",
                "occurred_at",
                "ip_address",
                "user_agent",
            ],
        )
        writer.writeheader()
        for record in GOOD:
            writer.writerow(record)
    first = ingest_file(session, source, actor=SYSTEM, now=NOW)
    session.commit()
    second = ingest_file(session, source, actor=SYSTEM, now=NOW)
    session.commit()

    assert (first.inserted, second.inserted, second.duplicates) == (3, 0, 3)
    assert session.exec(select(func.count()).select_from(UsageEvent)).one() == 3
    assert session.exec(select(func.count()).select_from(UsageAgent)).one() == 1  # found, not added again
    assert session.exec(select(func.sum(UsageDailyRollup.events))).one() == 3
    assert (
        session.exec(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "usage.ingest")
        ).one()
        == 2
    )


def test_the_raw_actor_id_is_nowhere_in_the_database(session: Session, tmp_path: Path) -> None:
    add_installations(session)
    ingest_file(session, _write_jsonl(tmp_path / "events.jsonl", GOOD), actor=SYSTEM, now=NOW)
    session.commit()

    connection = session.connection()
    assert session.exec(select(func.count()).select_from(UsageEvent)).one() == 3
    for table in SQLModel.metadata.sorted_tables:
        for row in connection.execute(text(f'SELECT * FROM "{table.name}"')).all():
            assert RAW_ACTOR not in " ".join(str(value) for value in row), table.name


def _events(session: Session) -> int:
    return session.exec(select(func.count()).select_from(UsageEvent)).one()


def _ingest(session: Session, path: Path):
    result = ingest_file(session, path, actor=SYSTEM, now=NOW)
    session.commit()
    rejects = result.rejects_path.read_text().splitlines() if result.rejected_count else []
    return result, [json.loads(line) for line in rejects]


def test_hostile_json_lines_are_rejected_with_reasons_and_physical_line_numbers(session, tmp_path) -> None:
    add_installations(session)
    good = json.dumps(event("ok", "2026-11-20T09:00:00Z", RAW_ACTOR, installation_id="1")).encode()
    hostile = [
        json.dumps(event("y1", "0001-01-01T00:00:00+05:00", "7", installation_id="1")).encode(),
        json.dumps(event("y9", "9999-12-31T23:00:00-05:00", "7", installation_id="1")).encode(),
        json.dumps(event("sup", "2026-11-20T09:00:00Z", "7", installation_id="²")).encode(),
        json.dumps(event("long", "2026-11-20T09:00:00Z", "7", installation_id="9" * 5000)).encode(),
        b"[" * 50_000 + b"]" * 50_000,  # nested deeper than the parser goes, under 128 KB
        bytes(range(128, 256)),  # random bytes, no newline among them
        "é".encode("latin-1") + b'{"event_id": "latin"}',
        json.dumps(event("nul", "2026-11-20T09:00:00Z", "a\x00b", installation_id="1")).encode(),
        json.dumps(event("lone", "2026-11-20T09:00:00Z", "\ud800", installation_id="1")).encode(),
        b'{"event_id": "' + b"x" * 200_000 + b'"}',
    ]
    source = tmp_path / "events.jsonl"
    source.write_bytes(b"\n\n".join([good, *hostile]) + b"\n")  # a blank line between every two

    result, rejects = _ingest(session, source)

    assert (result.received, result.inserted, result.rejected_count) == (11, 1, 10)
    assert [item["line"] for item in rejects] == list(range(3, 23, 2))  # blank lines counted
    reasons = [item["reason"] for item in rejects]
    assert (
        reasons[:4]
        == ["bad timestamp (ISO 8601 with a time zone expected)"] * 2 + ["unknown installation"] * 2
    )
    assert reasons[4] == "not a JSON object" and reasons[5:7] == ["line is not UTF-8 text"] * 2
    assert reasons[7:9] == ["a field is not valid UTF-8 text or holds a NUL character"] * 2
    assert reasons[9] == "line longer than 128 KB"
    assert _events(session) == 1


def test_the_rejects_file_is_private_and_holds_no_actor_ip_or_user_agent(session, tmp_path) -> None:
    add_installations(session)
    bad = [event(f"b{n}", "2026-11-20T09:00:00Z", RAW_ACTOR, installation_id="999") for n in range(3)]
    result, rejects = _ingest(session, _write_jsonl(tmp_path / "events.jsonl", bad))
    text_of_file = result.rejects_path.read_text()
    assert result.rejects_path.stat().st_mode & 0o777 == 0o600
    assert (
        RAW_ACTOR not in text_of_file and "203.0.113.77" not in text_of_file and "Firefox" not in text_of_file
    )
    assert rejects[0]["record"] == {
        "event_id": "b0",
        "installation_id": "999",
        "feature": "apply_rule",
        "occurred_at": "2026-11-20T09:00:00Z",
    }


def test_a_csv_with_a_bom_blank_lines_and_an_oversized_field(session, tmp_path) -> None:
    add_installations(session)
    source = tmp_path / "events.csv"
    rows = [
        "event_id,installation_id,feature,actor,occurred_at",
        "c1,1,apply_rule,u1,2026-11-20T09:00:00Z",
        "",
        'c2,1,"' + "x" * 200_000 + '",u2,2026-11-20T09:00:00Z',
        "c3,1,apply_rule,u3,2026-11-20T09:00:00Z",
        "c4,²,apply_rule,u4,2026-11-20T09:00:00Z",
    ]
    source.write_bytes("\ufeff".encode() + "\n".join(rows).encode() + b"\n")
    result, rejects = _ingest(session, source)
    assert (result.inserted, result.rejected_count) == (2, 2)
    assert [(item["line"], item["reason"]) for item in rejects] == [
        (4, "line longer than 128 KB"),
        (6, "unknown installation"),
    ]


def test_purge_usage_deletes_rejects_files_from_before_its_cutoff(session, tmp_path, data_dir) -> None:
    from dashboard.usage.ingest import purge_rejects

    add_installations(session)
    bad = [event("b", "2026-11-20T09:00:00Z", "7", installation_id="999")]
    old, _ = _ingest(session, _write_jsonl(tmp_path / "old.jsonl", bad))
    assert purge_rejects(before=NOW, dry_run=True) == 0  # written at NOW, not before it
    assert purge_rejects(before=NOW + timedelta(days=1), dry_run=True) == 1 and old.rejects_path.exists()
    assert purge_rejects(before=NOW + timedelta(days=1)) == 1 and not old.rejects_path.exists()


def test_a_large_junk_file_is_streamed_not_held_in_memory(session, tmp_path) -> None:
    add_installations(session)
    source = tmp_path / "junk.jsonl"
    with source.open("w") as handle:
        for n in range(100_000):
            handle.write(f'{{"event_id": "junk-{n}", "actor": "someone-{n}", "feature": "x"}}\n')
    tracemalloc.start()
    try:
        result = ingest_file(session, source, actor=SYSTEM, now=NOW)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    session.commit()
    assert result.rejected_count == 100_000 and len(result.rejected_sample) == 20
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"
    assert sum(1 for _ in result.rejects_path.open()) == 100_000
