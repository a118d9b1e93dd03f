"""The demo usage step: nothing without installations; with them, weekday-heavy events and rollups."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from dashboard.demo import core
from dashboard.demo import usage as demo_usage
from dashboard.demo.context import SIZES, DemoContext
from models import AppDailyActives, Installation, UsageDailyRollup, UsageEvent


def _context(engine: Engine, events: int) -> DemoContext:
    ctx = DemoContext(engine=engine, size=replace(SIZES["small"], usage_events=events), seed=7)
    core.generate(ctx)
    return ctx


def test_without_installations_the_step_makes_nothing(engine: Engine) -> None:
    ctx = _context(engine, 5_000)
    demo_usage.generate(ctx)

    assert ctx.shared["usage_events"] == 0
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(UsageEvent)).one() == 0
        assert session.exec(select(func.count()).select_from(Installation)).one() == 0


def test_with_installations_events_favour_weekdays_and_are_rolled_up(engine: Engine) -> None:
    ctx = _context(engine, 20_000)
    installs = [
        {
            "id": n,
            "account_id": n,
            "app_id": ctx.shared["app_ids"][n % 4],
            "source": "demo",
            "state": "enabled",
            "settings": {},
        }
        for n in range(1, 41)
    ]
    ctx.bulk_insert(Installation, installs)
    demo_usage.generate(ctx)

    with Session(engine) as session:
        days = session.exec(select(UsageDailyRollup.day, UsageDailyRollup.events)).all()
        assert sum(events for _, events in days) == 20_000
        weekend = sum(events for day, events in days if day.weekday() >= 5)
        assert weekend < 0.15 * 20_000  # 2/7 of days, but most weekend use moves to Thu/Fri
        all_apps_mau = select(func.max(AppDailyActives.mau)).where(AppDailyActives.app_id == 0)
        assert session.exec(all_apps_mau).one() > 0
        assert session.exec(select(func.count()).select_from(UsageEvent)).one() == 20_000
