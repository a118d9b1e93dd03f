"""Ingest: bad rows refused with a reason, re-ingest adds nothing, the raw actor id never stored."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import func, text
from sqlmodel import Session, SQLModel, select

from dashboard.identity import SYSTEM
from dashboard.usage.ingest import ingest_file
from models import AuditEvent, UsageDailyRollup, UsageEvent
from tests.usage_store import NOW, add_installations, event

RAW_ACTOR = "zd-user-99173025"

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

    assert (result.received, result.inserted, len(result.rejected)) == (12, 3, 9)
    stored = session.exec(select(UsageEvent).order_by(UsageEvent.event_id)).all()
    assert [(e.event_id, e.installation_id, e.browser, e.os) for e in stored] == [
        ("g1", 1, "Firefox", "Windows"),
        ("g2", 2, "Firefox", "Windows"),
        ("g3", 3, "Firefox", "Windows"),
    ]
    assert stored[1].occurred_at.isoformat() == "2026-11-21T08:00:00+00:00"
    rejects_file = tmp_path / "events.jsonl.rejects.jsonl"
    rejects = [json.loads(line) for line in rejects_file.read_text().splitlines()]
    by_id = {item["record"].get("event_id"): item["reason"] for item in rejects}
    for record, reason in BAD:
        assert reason in by_id[record["event_id"]]
    assert rejects[-1]["line"] == 12 and "missing field" in rejects[-1]["reason"]
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
