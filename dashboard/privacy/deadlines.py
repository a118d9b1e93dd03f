"""Legal response deadlines, one function per rule (docs/privacy-deadlines.md is the table).

All deadlines are calendar dates: a request is answered in time if it is answered on or before the date.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

from dashboard.settings import get_settings


def add_months(start: date, months: int) -> date:
    """The same day `months` later; when that month is shorter, its last day (31 Jan + 1 → 28/29 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@lru_cache(maxsize=64)
def _uk_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv="ENG", years=year)


@lru_cache(maxsize=64)
def _us_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("US", years=year)


def is_uk_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _uk_holidays(day.year)


def is_us_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _us_holidays(day.year)


def next_uk_working_day(day: date) -> date:
    """`day` itself if it is an English working day, else the next one."""
    while not is_uk_working_day(day):
        day += timedelta(days=1)
    return day


def add_us_business_days(start: date, days: int) -> date:
    """The `days`-th US business day after `start` (federal holidays and weekends do not count)."""
    day = start
    for _ in range(days):
        day += timedelta(days=1)
        while not is_us_business_day(day):
            day += timedelta(days=1)
    return day


# --- one function per rule -------------------------------------------------------------------------


def gdpr_due(start: date) -> date:
    """EU GDPR art. 12(3): one calendar month from receipt."""
    return add_months(start, 1)


def gdpr_extended_due(start: date) -> date:
    """EU GDPR: extended once by two further months, counted from the start like the first month."""
    return add_months(start, 3)


def uk_gdpr_due(start: date) -> date:
    """UK GDPR: as GDPR, moved off weekends and English bank holidays to the next working day."""
    return next_uk_working_day(gdpr_due(start))


def uk_gdpr_extended_due(start: date) -> date:
    return next_uk_working_day(gdpr_extended_due(start))


def ccpa_acknowledge_by(received: date) -> date:
    """CCPA/CPRA: confirm receipt within 10 business days."""
    return add_us_business_days(received, 10)


def ccpa_due(received: date) -> date:
    """CCPA/CPRA: respond within 45 calendar days of receipt, verification time included."""
    return received + timedelta(days=45)


def ccpa_extended_due(received: date) -> date:
    return received + timedelta(days=90)


def vcdpa_due(received: date) -> date:
    """Virginia VCDPA: 45 days."""
    return received + timedelta(days=45)


def vcdpa_extended_due(received: date) -> date:
    return received + timedelta(days=90)


def lgpd_due(received: date) -> date:
    """Brazil LGPD art. 19 II: a complete response within 15 days."""
    return received + timedelta(days=15)


def default_due(received: date) -> date:
    """Any other jurisdiction: the configured `privacy_default_deadline_days`."""
    return received + timedelta(days=get_settings().privacy_default_deadline_days)


# --- the table ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineRule:
    jurisdiction: str
    label: str
    due: Callable[[date], date]
    extended_due: Callable[[date], date] | None = None  # None: no extension allowed
    acknowledge_by: Callable[[date], date] | None = None
    # UK GDPR: the clock starts when requested identity proof or clarification arrives.
    clock_restarts_on_clarification: bool = False
    # A denial must tell the subject how to appeal or complain.
    denial_needs_appeal_info: bool = False

    @property
    def extendable(self) -> bool:
        return self.extended_due is not None


RULES: dict[str, DeadlineRule] = {
    "eu_gdpr": DeadlineRule("eu_gdpr", "EU GDPR", gdpr_due, gdpr_extended_due, denial_needs_appeal_info=True),
    "uk_gdpr": DeadlineRule(
        "uk_gdpr",
        "UK GDPR",
        uk_gdpr_due,
        uk_gdpr_extended_due,
        clock_restarts_on_clarification=True,
        denial_needs_appeal_info=True,
    ),
    "ccpa": DeadlineRule(
        "ccpa", "California CCPA/CPRA", ccpa_due, ccpa_extended_due, acknowledge_by=ccpa_acknowledge_by
    ),
    "vcdpa": DeadlineRule(
        "vcdpa", "Virginia VCDPA", vcdpa_due, vcdpa_extended_due, denial_needs_appeal_info=True
    ),
    "lgpd": DeadlineRule("lgpd", "Brazil LGPD", lgpd_due),
    "other": DeadlineRule("other", "Other", default_due),
}

JURISDICTION_LABELS = {key: rule.label for key, rule in RULES.items()}


def rule_for(jurisdiction: str) -> DeadlineRule:
    return RULES[jurisdiction]


@dataclass(frozen=True)
class Deadlines:
    due_on: date
    acknowledge_by: date | None


def initial_deadlines(
    jurisdiction: str, *, received_on: date, clock_started_on: date | None = None
) -> Deadlines:
    """Due and acknowledgement dates; the clock start only moves the deadline where the rule says so."""
    rule = rule_for(jurisdiction)
    start = clock_start(jurisdiction, received_on=received_on, clock_started_on=clock_started_on)
    acknowledge = rule.acknowledge_by(received_on) if rule.acknowledge_by else None
    return Deadlines(due_on=rule.due(start), acknowledge_by=acknowledge)


def clock_start(jurisdiction: str, *, received_on: date, clock_started_on: date | None) -> date:
    if rule_for(jurisdiction).clock_restarts_on_clarification and clock_started_on is not None:
        return max(received_on, clock_started_on)
    return received_on


def extended_deadline(jurisdiction: str, *, received_on: date, clock_started_on: date | None) -> date:
    """The due date after the one allowed extension; ValueError when the rule allows none."""
    rule = rule_for(jurisdiction)
    if rule.extended_due is None:
        raise ValueError(f"{rule.label} has no extension")
    return rule.extended_due(
        clock_start(jurisdiction, received_on=received_on, clock_started_on=clock_started_on)
    )
