"""Rollups on invented events with known answers: distinct actors across days, UTC day boundaries."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete
from sqlmodel import Session, select

from dashboard.access.identity import SYSTEM
from dashboard.usage.ingest import ingest_events
from dashboard.usage.rollup import rebuild_all
from models import AppDailyActives, UsageAccountMonth, UsageCohort, UsageDailyRollup, UsageFeatureDay
from tests.usage_store import NOW, ROLLUP_MODELS, add_installations, event, rollup_rows

D1, D2 = date(2026, 11, 2), date(2026, 11, 3)

EVENTS = [
    # Acme: u1 at the last second of D1 and the first second of D2 (two UTC days, one person).
    event("e1", "2026-11-02T23:59:59Z", "u1", installation_id="1"),
    event("e2", "2026-11-02T10:00:00Z", "u2", feature="open_sidebar", subdomain="acme", app="tagger"),
    event("e3", "2026-11-03T00:00:00Z", "u1", installation_id="1"),
    # 01:30 in UTC+2 on Nov 4 is 23:30 UTC on Nov 3.
    event("e4", "2026-11-04T01:30:00+02:00", "u3", subdomain="globex", app="tagger"),
    # The same Zendesk user id in another Zendesk account is another person.
    event("e5", "2026-11-03T12:00:00Z", "u1", feature="view_sla", installation_id="3"),
    event("e6", "2026-10-15T12:00:00Z", "u1", installation_id="1"),
]


def _actives(session: Session, app_id: int) -> dict[date, tuple[int, int, int, int]]:
    rows = session.exec(select(AppDailyActives).where(AppDailyActives.app_id == app_id)).all()
    return {row.day: (row.dau, row.wau, row.mau, row.active_accounts) for row in rows}


def test_daily_rollups_count_events_and_distinct_actors_per_utc_day(session: Session) -> None:
    add_installations(session)
    ingest_events(session, EVENTS, actor=SYSTEM, now=NOW)
    session.commit()

    rollups = {
        (r.day, r.installation_id, r.feature): (r.events, r.distinct_actors)
        for r in session.exec(select(UsageDailyRollup)).all()
    }
    assert rollups == {
        (date(2026, 10, 15), 1, "apply_rule"): (1, 1),
        (D1, 1, "apply_rule"): (1, 1),
        (D1, 1, "open_sidebar"): (1, 1),
        (D2, 1, "apply_rule"): (1, 1),
        (D2, 2, "apply_rule"): (1, 1),
        (D2, 3, "view_sla"): (1, 1),
    }
    features = {
        (r.day, r.app_id, r.feature): (r.events, r.actors, r.accounts)
        for r in session.exec(select(UsageFeatureDay)).all()
    }
    assert features[(D2, 1, "apply_rule")] == (2, 2, 2)


def test_dau_wau_mau_count_people_once_across_days_and_apps(session: Session) -> None:
    add_installations(session)
    ingest_events(session, EVENTS, actor=SYSTEM, now=NOW)
    session.commit()

    all_apps = _actives(session, 0)
    # D1: acme u1, u2 (u1 was also active on Oct 15: still one person in the month).
    assert all_apps[D1] == (2, 2, 2, 1)
    # D2: acme u1, globex u3, globex u1; the week and month to D2 add acme u2.
    assert all_apps[D2] == (3, 4, 4, 2)
    assert _actives(session, 1)[D2] == (2, 3, 3, 2)
    assert _actives(session, 2)[D2] == (1, 1, 1, 1)
    assert all_apps[date(2026, 10, 15)] == (1, 1, 1, 1)
    assert all_apps[date(2026, 10, 25)] == (0, 0, 1, 1)


def test_rollups_update_incrementally_for_days_that_received_events(session: Session) -> None:
    add_installations(session)
    ingest_events(session, EVENTS, actor=SYSTEM, now=NOW)
    session.commit()
    before_d2 = _actives(session, 0)[D2]

    ingest_events(
        session,
        [event("e7", "2026-11-02T08:00:00Z", "u3", subdomain="globex", app="tagger")],
        actor=SYSTEM,
        now=NOW,
    )
    session.commit()

    after = _actives(session, 0)
    assert after[D1][0] == 3  # globex u3 joins D1
    assert after[D2] == before_d2  # u3 was already in D2's week and month
    months = {
        (r.month, r.account_id, r.app_id): (r.events, r.active_days, r.actors)
        for r in session.exec(select(UsageAccountMonth)).all()
    }
    assert months[(date(2026, 11, 1), 2, 1)] == (2, 2, 1)
    assert months[(date(2026, 11, 1), 1, 1)] == (3, 2, 2)


def test_cohorts_follow_each_accounts_first_active_month(session: Session) -> None:
    add_installations(session)
    ingest_events(session, EVENTS, actor=SYSTEM, now=NOW)
    session.commit()

    cohorts = {
        (r.cohort_month, r.month): r.accounts
        for r in session.exec(select(UsageCohort).where(UsageCohort.app_id == 0)).all()
    }
    october, november = date(2026, 10, 1), date(2026, 11, 1)
    assert cohorts == {(october, october): 1, (october, november): 1, (november, november): 1}


def test_a_full_rebuild_equals_the_incremental_refreshes(session: Session) -> None:
    add_installations(session)
    ingest_events(session, EVENTS, actor=SYSTEM, now=NOW)
    ingest_events(
        session,
        [
            event("e7", "2026-11-02T08:00:00Z", "u3", subdomain="globex", app="tagger"),
            event("e8", "2026-09-30T23:00:00Z", "u2", installation_id="1"),
        ],
        actor=SYSTEM,
        now=NOW,
    )
    session.commit()
    incremental = rollup_rows(session)
    for model in ROLLUP_MODELS:
        session.exec(delete(model))

    result = rebuild_all(session)
    session.commit()

    assert rollup_rows(session) == incremental
    assert (result.days, result.months) == (4, 3)  # Sep 30, Oct 15, Nov 2, Nov 3
