"""Legal response deadlines: one engine reading the rule table `deadline_rules.toml`.

Each jurisdiction is one row of that table (citation, period, how it is counted, extension,
acknowledgement, whether identity verification restarts the clock); docs/privacy-deadlines.md explains
the table and the readings chosen. All deadlines are calendar dates: a request is answered in time if
it is answered on or before the date.
"""

from __future__ import annotations

import calendar
import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import holidays

from dashboard.core.settings import get_settings

RULES_FILE = Path(__file__).with_name("deadline_rules.toml")


class Count(StrEnum):
    MONTHS = "months"
    CALENDAR_DAYS = "calendar_days"
    BUSINESS_DAYS = "business_days"


class Clock(StrEnum):
    RECEIPT = "receipt"  # counts from receipt; verifying identity does not pause it
    VERIFICATION = "verification"  # starts again when identity proof or clarification arrives


class ExtensionNotice(StrEnum):
    BEFORE_FIRST_DEADLINE = "before_first_deadline"


COUNT_LABELS = {
    Count.MONTHS: "calendar months",
    Count.CALENDAR_DAYS: "calendar days",
    Count.BUSINESS_DAYS: "business days",
}


# --- calendars ----------------------------------------------------------------------------------------


def add_months(start: date, months: int) -> date:
    """The same day `months` later; when that month is shorter, its last day (31 Jan + 1 → 28/29 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@lru_cache(maxsize=256)
def _holidays(calendar_code: str, year: int) -> holidays.HolidayBase:
    country, _, subdivision = calendar_code.partition("-")
    return holidays.country_holidays(country, subdiv=subdivision or None, years=year)


def is_working_day(day: date, calendar_code: str) -> bool:
    """Not a Saturday or Sunday, and not a (observed) holiday of `calendar_code`."""
    return day.weekday() < 5 and day not in _holidays(calendar_code, day.year)


def next_working_day(day: date, calendar_code: str) -> date:
    """`day` itself if it is a working day there, else the next one."""
    while not is_working_day(day, calendar_code):
        day += timedelta(days=1)
    return day


def add_business_days(start: date, days: int, calendar_code: str) -> date:
    """The `days`-th working day after `start` (weekends and that calendar's holidays do not count)."""
    day = start
    for _ in range(days):
        day += timedelta(days=1)
        while not is_working_day(day, calendar_code):
            day += timedelta(days=1)
    return day


def count_from(start: date, amount: int, count: Count, calendar_code: str | None) -> date:
    if count is Count.MONTHS:
        return add_months(start, amount)
    if count is Count.CALENDAR_DAYS:
        return start + timedelta(days=amount)
    if calendar_code is None:
        raise ValueError("business days need a calendar")
    return add_business_days(start, amount, calendar_code)


# --- the table ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineRule:
    jurisdiction: str
    label: str
    citation: str
    count: Count
    period: int | None = None  # None: read from `period_setting`
    period_setting: str | None = None
    calendar: str | None = None
    roll_to_working_day: bool = False
    extension_period: int = 0
    extension_notice: ExtensionNotice | None = None
    acknowledge_period: int = 0
    acknowledge_count: Count = Count.BUSINESS_DAYS
    clock: Clock = Clock.RECEIPT
    denial_needs_appeal_info: bool = False
    countries: tuple[str, ...] = field(default=())
    us_states: tuple[str, ...] = field(default=())
    regions: tuple[str, ...] = field(default=())

    @property
    def extendable(self) -> bool:
        return self.extension_period > 0

    @property
    def clock_restarts_on_clarification(self) -> bool:
        return self.clock is Clock.VERIFICATION

    @property
    def response_period(self) -> int:
        if self.period is not None:
            return self.period
        return int(getattr(get_settings(), self.period_setting or ""))

    def _finish(self, day: date) -> date:
        if self.roll_to_working_day and self.calendar:
            return next_working_day(day, self.calendar)
        return day

    def due(self, start: date) -> date:
        return self._finish(count_from(start, self.response_period, self.count, self.calendar))

    def extended_due(self, start: date) -> date:
        """After the one extension, counted from the clock start (the subject gets the whole period)."""
        if not self.extendable:
            raise ValueError(f"{self.label} has no extension")
        total = self.response_period + self.extension_period
        return self._finish(count_from(start, total, self.count, self.calendar))

    def acknowledge_by(self, received: date) -> date | None:
        if not self.acknowledge_period:
            return None
        return count_from(received, self.acknowledge_period, self.acknowledge_count, self.calendar)

    def describe(self) -> dict[str, str]:
        """The rule in words, for the pages and the docs check."""
        unit = COUNT_LABELS[self.count]
        period = f"{self.period} {unit}" if self.period is not None else f"{self.period_setting} ({unit})"
        if self.roll_to_working_day:
            period += f", moved to the next working day ({self.calendar})"
        extension = f"once, {self.extension_period} more {unit}" if self.extendable else "none"
        ack = (
            f"{self.acknowledge_period} {COUNT_LABELS[self.acknowledge_count]}"
            if self.acknowledge_period
            else "—"
        )
        return {
            "Jurisdiction": self.label,
            "Citation": self.citation,
            "Respond within": period,
            "Extension": extension,
            "Acknowledge within": ack,
            "Clock": "restarts on identity proof" if self.clock is Clock.VERIFICATION else "from receipt",
        }


_KEYS = {
    "key",
    "label",
    "citation",
    "period",
    "period_setting",
    "count",
    "calendar",
    "roll_to_working_day",
    "extension_period",
    "extension_notice",
    "acknowledge_period",
    "acknowledge_count",
    "clock",
    "denial_needs_appeal_info",
    "countries",
    "us_states",
    "regions",
}


def _rule(row: dict) -> DeadlineRule:
    unknown = set(row) - _KEYS
    if unknown:
        raise ValueError(f"rule {row.get('key')}: unknown fields {sorted(unknown)}")
    key = row["key"]
    if len(key) > 16:
        raise ValueError(f"rule {key}: keys are stored in 16 characters")
    if ("period" in row) == ("period_setting" in row):
        raise ValueError(f"rule {key}: give exactly one of period and period_setting")
    rule = DeadlineRule(
        jurisdiction=key,
        label=row["label"],
        citation=row["citation"],
        count=Count(row["count"]),
        period=row.get("period"),
        period_setting=row.get("period_setting"),
        calendar=row.get("calendar"),
        roll_to_working_day=row.get("roll_to_working_day", False),
        extension_period=row.get("extension_period", 0),
        extension_notice=ExtensionNotice(row["extension_notice"]) if "extension_notice" in row else None,
        acknowledge_period=row.get("acknowledge_period", 0),
        acknowledge_count=Count(row.get("acknowledge_count", Count.BUSINESS_DAYS)),
        clock=Clock(row.get("clock", Clock.RECEIPT)),
        denial_needs_appeal_info=row.get("denial_needs_appeal_info", False),
        countries=tuple(row.get("countries", ())),
        us_states=tuple(row.get("us_states", ())),
        regions=tuple(row.get("regions", ())),
    )
    needs_calendar = rule.roll_to_working_day or (
        Count.BUSINESS_DAYS in (rule.count, rule.acknowledge_count)
        and (rule.count is Count.BUSINESS_DAYS or rule.acknowledge_period)
    )
    if needs_calendar and not rule.calendar:
        raise ValueError(f"rule {key}: business days and rolling to a working day need a calendar")
    if rule.extendable and rule.extension_notice is None:
        raise ValueError(f"rule {key}: say when the subject must be told of the extension")
    return rule


def load_rules(path: Path = RULES_FILE) -> dict[str, DeadlineRule]:
    """The rule table, in file order (the order lists show). ValueError on a malformed row."""
    rows = tomllib.loads(path.read_text(encoding="utf-8"))["rule"]
    rules: dict[str, DeadlineRule] = {}
    for row in rows:
        rule = _rule(row)
        if rule.jurisdiction in rules:
            raise ValueError(f"rule {rule.jurisdiction} appears twice")
        rules[rule.jurisdiction] = rule
    if "other" not in rules:
        raise ValueError("the table needs an 'other' rule")
    return rules


RULES: dict[str, DeadlineRule] = load_rules()
JURISDICTIONS: tuple[str, ...] = tuple(RULES)
JURISDICTION_LABELS = {key: rule.label for key, rule in RULES.items()}


def rule_for(jurisdiction: str) -> DeadlineRule:
    return RULES[jurisdiction]


# --- what the service uses ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadlines:
    due_on: date
    acknowledge_by: date | None


def due_on(jurisdiction: str, start: date) -> date:
    """The response deadline for a clock started on `start`."""
    return rule_for(jurisdiction).due(start)


def initial_deadlines(
    jurisdiction: str, *, received_on: date, clock_started_on: date | None = None
) -> Deadlines:
    """Due and acknowledgement dates; the clock start only moves the deadline where the rule says so."""
    rule = rule_for(jurisdiction)
    start = clock_start(jurisdiction, received_on=received_on, clock_started_on=clock_started_on)
    return Deadlines(due_on=rule.due(start), acknowledge_by=rule.acknowledge_by(received_on))


def clock_start(jurisdiction: str, *, received_on: date, clock_started_on: date | None) -> date:
    if rule_for(jurisdiction).clock is Clock.VERIFICATION and clock_started_on is not None:
        return max(received_on, clock_started_on)
    return received_on


def extended_deadline(jurisdiction: str, *, received_on: date, clock_started_on: date | None) -> date:
    """The due date after the one allowed extension; ValueError when the rule allows none."""
    return rule_for(jurisdiction).extended_due(
        clock_start(jurisdiction, received_on=received_on, clock_started_on=clock_started_on)
    )


def rule_table() -> list[dict[str, str]]:
    """Every rule in words (the page and docs show this)."""
    return [rule.describe() for rule in RULES.values()]
