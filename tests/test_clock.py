"""The one clock and the calendar edges it meets: viewer zones either side of UTC, the hour before
midnight UTC, month ends, leap days and the daylight-saving switches. Every case states its dates."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from dashboard.billing.revenue.metrics import month_start, months_between, next_month
from dashboard.core import clock
from dashboard.core.audit_query import day_bounds
from dashboard.core.settings import PROJECT_ROOT
from dashboard.privacy.deadlines import due_on
from dashboard.privacy.queue import urgency
from models.types import utcnow


def test_a_frozen_clock_is_read_by_the_console_and_released_afterwards() -> None:
    before = clock.now()
    instant = datetime(2027, 1, 31, 23, 30, tzinfo=UTC)
    with clock.frozen_at(instant):
        assert clock.now() == instant
        assert utcnow() == instant  # column defaults read the same clock
        assert clock.epoch_seconds() == 1_801_438_200
    assert clock.now() == before  # the test's own still clock (tests/conftest.py) is back


def test_the_clock_refuses_a_naive_instant() -> None:
    with pytest.raises(ValueError, match="aware"):
        clock.set_now(datetime(2027, 1, 31, 23, 30))


@pytest.mark.parametrize(
    ("instant", "zone", "expected"),
    [
        # The hour before midnight UTC: still the 31st in UTC, already February in Tokyo.
        (datetime(2027, 1, 31, 23, 30, tzinfo=UTC), "UTC", date(2027, 1, 31)),
        (datetime(2027, 1, 31, 23, 30, tzinfo=UTC), "Asia/Tokyo", date(2027, 2, 1)),
        (datetime(2027, 1, 31, 23, 30, tzinfo=UTC), "Pacific/Honolulu", date(2027, 1, 31)),
        # Tokyo (UTC+9) turns the day at 15:00 UTC.
        (datetime(2026, 12, 1, 14, 59, tzinfo=UTC), "Asia/Tokyo", date(2026, 12, 1)),
        (datetime(2026, 12, 1, 15, 0, tzinfo=UTC), "Asia/Tokyo", date(2026, 12, 2)),
        # Honolulu (UTC-10) is still on yesterday until 10:00 UTC, across a month end too.
        (datetime(2027, 3, 1, 9, 59, tzinfo=UTC), "Pacific/Honolulu", date(2027, 2, 28)),
        (datetime(2027, 3, 1, 10, 0, tzinfo=UTC), "Pacific/Honolulu", date(2027, 3, 1)),
        # Leap day: 29 February 2028 exists, in Tokyo a little earlier.
        (datetime(2028, 2, 28, 15, 0, tzinfo=UTC), "Asia/Tokyo", date(2028, 2, 29)),
        (datetime(2028, 2, 29, 23, 30, tzinfo=UTC), "Pacific/Honolulu", date(2028, 2, 29)),
        # The switch days: Berlin is UTC+1 in winter, UTC+2 in summer.
        (datetime(2027, 3, 27, 22, 30, tzinfo=UTC), "Europe/Berlin", date(2027, 3, 27)),  # 23:30 CET
        (datetime(2027, 3, 28, 22, 30, tzinfo=UTC), "Europe/Berlin", date(2027, 3, 29)),  # 00:30 CEST
        (datetime(2026, 11, 1, 4, 30, tzinfo=UTC), "America/New_York", date(2026, 11, 1)),  # 00:30 EDT
        (datetime(2026, 11, 2, 4, 30, tzinfo=UTC), "America/New_York", date(2026, 11, 1)),  # 23:30 EST
    ],
)
def test_today_is_the_viewers_calendar_date(instant: datetime, zone: str, expected: date) -> None:
    with clock.frozen_at(instant):
        assert clock.today(zone) == expected


@pytest.mark.parametrize(
    ("day", "zone", "hours", "starts_utc"),
    [
        (date(2027, 3, 28), "Europe/Berlin", 23, datetime(2027, 3, 27, 23, 0, tzinfo=UTC)),  # spring forward
        (date(2026, 10, 25), "Europe/Berlin", 25, datetime(2026, 10, 24, 22, 0, tzinfo=UTC)),  # fall back
        (date(2027, 3, 14), "America/New_York", 23, datetime(2027, 3, 14, 5, 0, tzinfo=UTC)),
        (date(2026, 11, 1), "America/New_York", 25, datetime(2026, 11, 1, 4, 0, tzinfo=UTC)),
        (date(2027, 3, 28), "Asia/Tokyo", 24, datetime(2027, 3, 27, 15, 0, tzinfo=UTC)),  # no DST
        (date(2028, 2, 29), "Pacific/Honolulu", 24, datetime(2028, 2, 29, 10, 0, tzinfo=UTC)),
    ],
)
def test_a_whole_day_in_the_viewers_zone_has_its_real_length(
    day: date, zone: str, hours: int, starts_utc: datetime
) -> None:
    start, end = (moment.astimezone(UTC) for moment in day_bounds(day, day, zone))
    assert start == starts_utc
    assert end - start == timedelta(hours=hours)


def test_an_audit_range_spanning_both_switches_covers_every_hour_once() -> None:
    start, end = day_bounds(date(2026, 10, 1), date(2027, 3, 31), "Europe/Berlin")
    assert start.astimezone(UTC) == datetime(2026, 9, 30, 22, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2027, 3, 31, 22, 0, tzinfo=UTC)
    assert (end.astimezone(UTC) - start.astimezone(UTC)) == timedelta(days=182)


@pytest.mark.parametrize(
    ("day", "first", "following"),
    [
        (date(2027, 1, 31), date(2027, 1, 1), date(2027, 2, 1)),
        (date(2027, 2, 28), date(2027, 2, 1), date(2027, 3, 1)),
        (date(2028, 2, 29), date(2028, 2, 1), date(2028, 3, 1)),
        (date(2026, 12, 31), date(2026, 12, 1), date(2027, 1, 1)),
    ],
)
def test_revenue_months_at_month_ends(day: date, first: date, following: date) -> None:
    assert month_start(day) == first
    assert next_month(day) == following


def test_the_months_of_a_range_ending_on_a_month_end() -> None:
    assert months_between(date(2027, 11, 30), date(2028, 2, 29)) == [
        date(2027, 11, 1),
        date(2027, 12, 1),
        date(2028, 1, 1),
        date(2028, 2, 1),
    ]


@pytest.mark.parametrize(
    ("received", "gdpr", "uk_gdpr", "ccpa"),
    [
        (date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 1), date(2027, 3, 17)),  # 28 Feb is a Sunday
        (date(2028, 1, 29), date(2028, 2, 29), date(2028, 2, 29), date(2028, 3, 14)),  # leap day
        (date(2028, 1, 31), date(2028, 2, 29), date(2028, 2, 29), date(2028, 3, 16)),
        # 28 March 2027 is Easter Sunday (and the EU's switch); Easter Monday is a bank holiday in England.
        (date(2027, 2, 28), date(2027, 3, 28), date(2027, 3, 30), date(2027, 4, 14)),
    ],
)
def test_deadlines_counted_over_month_ends_and_leap_days(
    received: date, gdpr: date, uk_gdpr: date, ccpa: date
) -> None:
    assert due_on("eu_gdpr", received) == gdpr
    assert due_on("uk_gdpr", received) == uk_gdpr
    assert due_on("ccpa", received) == ccpa


@pytest.mark.parametrize(
    ("instant", "zone", "label"),
    [
        (datetime(2027, 1, 31, 23, 30, tzinfo=UTC), "UTC", "1 day left"),
        (datetime(2027, 1, 31, 23, 30, tzinfo=UTC), "Asia/Tokyo", "due today"),
        (datetime(2027, 2, 1, 9, 0, tzinfo=UTC), "Pacific/Honolulu", "1 day left"),
        (datetime(2027, 2, 1, 10, 0, tzinfo=UTC), "Pacific/Honolulu", "due today"),
        (datetime(2027, 2, 2, 0, 30, tzinfo=UTC), "UTC", "overdue by 1 day"),
    ],
)
def test_due_today_means_the_viewers_today(instant: datetime, zone: str, label: str) -> None:
    with clock.frozen_at(instant):
        assert urgency(date(2027, 2, 1), today=clock.today(zone), status="new").label == label


WALL_CLOCK_READS = re.compile(
    r"datetime\.now\(|datetime\.utcnow\(|date\.today\(|time\.time\(|datetime\.today\("
)


def test_nothing_but_the_clock_module_reads_the_wall_clock() -> None:
    sources = [PROJECT_ROOT / "streamlit_app.py"]
    for folder in ("dashboard", "app_pages", "models"):
        sources += sorted((PROJECT_ROOT / folder).rglob("*.py"))
    readers = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}"
        for path in sources
        if path.name != "clock.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if WALL_CLOCK_READS.search(line)
    ]
    assert readers == []
