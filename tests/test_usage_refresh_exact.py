"""Day-by-day refreshes fold each day into the month rollups, cohorts and daily actives; whatever the
order events arrive in, every figure must equal a full recompute from the events."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, select

from dashboard.access.identity import SYSTEM
from dashboard.usage.ingest import ingest_events
from dashboard.usage.rollup import rebuild_all, refresh_rollups
from models import Account, App, Installation, UsageEvent
from tests.usage_store import ROLLUP_MODELS, event, rollup_rows

FIRST_DAY = date(2026, 9, 10)  # ~70 days over three month boundaries
DAYS = 70
NOW = datetime.combine(FIRST_DAY + timedelta(days=DAYS), datetime.min.time(), tzinfo=UTC)
FEATURES = ("apply_rule", "open_sidebar", "view_sla")
# (account, app) per installation: accounts with one or two apps; app 3 starts late (its first day
# falls inside days that already have rows).
INSTALLATIONS = {1: (1, 1), 2: (1, 2), 3: (2, 1), 4: (3, 2), 5: (4, 1), 6: (4, 3), 7: (5, 3)}


def _add_installations(session: Session) -> None:
    session.add_all(
        [Account(id=n, company_name=f"Account {n}", zendesk_subdomain=f"acct{n}") for n in range(1, 6)]
    )
    session.add_all([App(id=n, slug=f"app{n}", name=f"App {n}") for n in range(1, 4)])
    session.flush()
    session.add_all(
        [
            Installation(id=n, account_id=account, app_id=app, installed_at=datetime(2025, 1, 1, tzinfo=UTC))
            for n, (account, app) in INSTALLATIONS.items()
        ]
    )
    session.commit()


def _events_on(rng: random.Random, day: date, count: int, prefix: str) -> list[dict]:
    """`count` events on `day` from a small pool of actors, so actors recur across days and apps."""
    events = []
    for n in range(count):
        installation = rng.choice(
            [i for i in INSTALLATIONS if i < 6 or day >= FIRST_DAY + timedelta(days=40)]
        )
        moment = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(
            seconds=rng.randrange(86400)
        )
        events.append(
            event(
                f"{prefix}-{day}-{n}",
                moment.isoformat().replace("+00:00", "Z"),
                f"u{rng.randrange(6)}",
                feature=rng.choice(FEATURES),
                installation_id=str(installation),
            )
        )
    return events


def _assert_equal_to_full_recompute(session: Session) -> None:
    incremental = rollup_rows(session)
    for model in ROLLUP_MODELS:
        session.exec(delete(model))
    rebuild_all(session)
    session.commit()
    assert rollup_rows(session) == incremental


def test_day_by_day_refreshes_equal_a_full_recompute(session: Session) -> None:
    _add_installations(session)
    rng = random.Random(19)
    days = [FIRST_DAY + timedelta(days=n) for n in range(DAYS)]
    quiet = set(rng.sample(days[1:], 12))  # days without events, some in runs that empty a week
    quiet.update(days[20:28])
    for number, day in enumerate(days):
        if day not in quiet:
            ingest_events(session, _events_on(rng, day, rng.randint(1, 12), "on-time"), actor=SYSTEM, now=NOW)
            session.commit()
        if number % 10 == 9:
            # Late events: some for days already refreshed (members joining within and across
            # windows), some filling a quiet day.
            late = [rng.choice(days[: number + 1]) for _ in range(3)]
            for late_day in late:
                ingest_events(
                    session,
                    _events_on(rng, late_day, rng.randint(1, 5), f"late{number}"),
                    actor=SYSTEM,
                    now=NOW,
                )
            session.commit()
            _assert_equal_to_full_recompute(session)
    _assert_equal_to_full_recompute(session)


def test_one_ingest_spanning_several_days_equals_a_full_recompute(session: Session) -> None:
    _add_installations(session)
    rng = random.Random(7)
    days = [FIRST_DAY + timedelta(days=n) for n in range(DAYS)]
    for start in range(0, DAYS, 9):
        batch = [
            e for day in days[start : start + 9] for e in _events_on(rng, day, rng.randint(0, 6), "batch")
        ]
        ingest_events(session, batch, actor=SYSTEM, now=NOW)
        session.commit()
    _assert_equal_to_full_recompute(session)


def test_refreshing_days_that_lost_events_equals_a_full_recompute(session: Session) -> None:
    """Events erased from stored days: month rows and cohort entries that end, an app's first day
    gone, the last active day emptied."""
    _add_installations(session)
    rng = random.Random(23)
    days = [FIRST_DAY + timedelta(days=n) for n in range(DAYS)]
    for day in days:
        ingest_events(session, _events_on(rng, day, rng.randint(1, 10), "on-time"), actor=SYSTEM, now=NOW)
    session.commit()
    app3_first = session.exec(
        select(func.min(UsageEvent.occurred_at)).where(UsageEvent.installation_id.in_([6, 7]))
    ).one()
    erased = [
        UsageEvent.account_id == 2,  # an account (and its only app) gone from every month
        (UsageEvent.installation_id.in_([6, 7])) & (UsageEvent.occurred_at < app3_first + timedelta(days=1)),
        UsageEvent.occurred_at >= datetime.combine(days[-1], datetime.min.time(), tzinfo=UTC),
        UsageEvent.id % 3 == 0,
    ]
    for where in erased:
        touched = {
            moment.date() for moment in session.exec(select(UsageEvent.occurred_at).where(where)).all()
        }
        session.exec(delete(UsageEvent).where(where))
        refresh_rollups(session, days=touched)
        session.commit()
        _assert_equal_to_full_recompute(session)
