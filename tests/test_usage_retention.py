"""Retention purge: old raw events deleted or their IPs truncated; rollups stay as they were."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from dashboard.access.identity import SYSTEM
from dashboard.core.errors import ValidationError
from dashboard.usage.ingest import ingest_events
from dashboard.usage.retention import purge_usage, truncate_ip
from dashboard.usage.rollup import rebuild_all
from models import AppDailyActives, AuditEvent, UsageAgent, UsageDailyRollup, UsageEvent
from tests.usage_store import NOW, add_installations, event, rollup_rows

LATER = NOW  # with 30 days of retention, the cutoff is the start of Oct 23 (UTC)


def _setup(session: Session) -> tuple[list, list]:
    add_installations(session)
    records = [
        event("old-1", "2026-10-20T10:00:00Z", "u1", installation_id="1"),
        event("old-2", "2026-10-22T23:59:59Z", "u2", installation_id="1"),
        {
            **event("old-v6", "2026-10-21T10:00:00Z", "u3", installation_id="2"),
            "ip_address": "2001:db8:abcd:12::7",
        },
        event("new-1", "2026-10-23T00:00:00Z", "u1", installation_id="1"),
        event("new-2", "2026-11-20T10:00:00Z", "u2", installation_id="2"),
    ]
    ingest_events(session, records, actor=SYSTEM, now=NOW)
    session.commit()
    return _rollups(session)


def _rollups(session: Session) -> tuple[list, list]:
    daily = [
        (r.day, r.installation_id, r.events, r.distinct_actors)
        for r in session.exec(select(UsageDailyRollup).order_by(UsageDailyRollup.id)).all()
    ]
    actives = [(r.day, r.app_id, r.dau, r.mau) for r in session.exec(select(AppDailyActives)).all()]
    return daily, actives


def test_delete_mode_removes_old_raw_events_and_keeps_rollups(session: Session) -> None:
    before = _setup(session)

    result = purge_usage(session, actor=SYSTEM, days=30, mode="delete", now=LATER)
    session.commit()

    assert result.events == 3
    assert sorted(e.event_id for e in session.exec(select(UsageEvent)).all()) == ["new-1", "new-2"]
    assert _rollups(session) == before


def test_delete_mode_deletes_the_user_agents_only_old_events_had(session: Session) -> None:
    add_installations(session)
    old_only = "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0"
    records = [
        {**event("old-1", "2026-10-20T10:00:00Z", "u1", installation_id="1"), "user_agent": old_only},
        event("old-2", "2026-10-21T10:00:00Z", "u2", installation_id="1"),
        event("new-1", "2026-11-20T10:00:00Z", "u2", installation_id="1"),
    ]
    ingest_events(session, records, actor=SYSTEM, now=NOW)
    session.commit()
    assert len(session.exec(select(UsageAgent)).all()) == 2

    purge_usage(session, actor=SYSTEM, days=30, mode="delete", now=LATER)
    session.commit()

    kept = session.exec(select(UsageAgent)).all()
    assert [agent.user_agent for agent in kept] == [records[1]["user_agent"]]
    assert {e.agent_id for e in session.exec(select(UsageEvent)).all()} == {kept[0].id}


def test_a_full_rebuild_after_a_purge_keeps_the_rollups_of_purged_days(session: Session) -> None:
    _setup(session)
    before = rollup_rows(session)
    purge_usage(session, actor=SYSTEM, days=30, mode="delete", now=LATER)
    session.commit()

    rebuild_all(session)
    session.commit()

    assert rollup_rows(session) == before


def test_truncate_mode_keeps_events_but_cuts_old_ip_addresses(session: Session) -> None:
    before = _setup(session)

    result = purge_usage(session, actor=SYSTEM, days=30, mode="truncate_ip", now=LATER)
    session.commit()

    ips = {e.event_id: e.ip_address for e in session.exec(select(UsageEvent)).all()}
    assert ips == {
        "old-1": "203.0.113.0",
        "old-2": "203.0.113.0",
        "old-v6": "2001:db8:abcd::",
        "new-1": "203.0.113.77",
        "new-2": "203.0.113.77",
    }
    assert result.events == 3
    assert purge_usage(session, actor=SYSTEM, days=30, mode="truncate_ip", now=LATER).events == 0
    assert _rollups(session) == before


def test_unknown_mode_is_refused_and_nothing_changes(session: Session) -> None:
    _setup(session)
    with pytest.raises(ValidationError):
        purge_usage(session, actor=SYSTEM, days=30, mode="shred", now=LATER)
    assert len(session.exec(select(UsageEvent)).all()) == 5


def test_truncate_ip_networks() -> None:
    assert truncate_ip("192.0.2.155") == "192.0.2.0"
    assert truncate_ip("2001:db8:1:2:3::9") == "2001:db8:1::"
    assert truncate_ip("garbage") == ""


@pytest.mark.parametrize("days", [0, -1, 36_501, 1_000_000, 10**30])
def test_out_of_range_days_are_refused_and_nothing_changes(session: Session, days: int) -> None:
    _setup(session)
    with pytest.raises(ValidationError, match="between 1 and 36500 days"):
        purge_usage(session, actor=SYSTEM, days=days, mode="delete", now=LATER)
    session.rollback()
    assert len(session.exec(select(UsageEvent)).all()) == 5


@pytest.mark.parametrize(("mode", "changed"), [("delete", 3), ("truncate_ip", 3)])
def test_a_dry_run_counts_what_would_change_and_changes_nothing(session: Session, mode, changed) -> None:
    _setup(session)
    before = [(e.id, e.ip_address) for e in session.exec(select(UsageEvent).order_by(UsageEvent.id)).all()]
    audit_rows = session.exec(select(AuditEvent)).all()
    result = purge_usage(session, actor=SYSTEM, days=30, mode=mode, now=LATER, dry_run=True)
    session.commit()
    assert result.dry_run and result.events == changed
    after = [(e.id, e.ip_address) for e in session.exec(select(UsageEvent).order_by(UsageEvent.id)).all()]
    assert after == before and session.exec(select(AuditEvent)).all() == audit_rows
    assert purge_usage(session, actor=SYSTEM, days=30, mode=mode, now=LATER).events == changed
