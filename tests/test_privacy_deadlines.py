"""Each legal deadline rule against dates worked out by hand (calendars for 2024–2027)."""

from datetime import date

import pytest

from dashboard.privacy import deadlines as d
from dashboard.settings import reset_settings_cache


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (date(2027, 1, 31), date(2027, 2, 28)),  # 31 January + 1 month: no 31 February
        (date(2024, 1, 31), date(2024, 2, 29)),  # leap year
        (date(2024, 1, 29), date(2024, 2, 29)),
        (date(2025, 1, 29), date(2025, 2, 28)),  # not a leap year
        (date(2026, 3, 15), date(2026, 4, 15)),  # same date next month
        (date(2026, 12, 31), date(2027, 1, 31)),  # across the year end
        (date(2026, 8, 31), date(2026, 9, 30)),
    ],
)
def test_gdpr_one_calendar_month(start: date, due: date) -> None:
    assert d.gdpr_due(start) == due


def test_gdpr_extension_is_two_more_months_from_the_start() -> None:
    assert d.gdpr_extended_due(date(2026, 11, 30)) == date(2027, 2, 28)
    assert d.gdpr_extended_due(date(2024, 11, 29)) == date(2025, 2, 28)


def test_uk_deadline_on_a_bank_holiday_moves_to_the_next_working_day() -> None:
    # 25 April 2026 + 1 month = 25 May 2026, the Spring bank holiday (a Monday) → Tuesday 26 May.
    assert d.gdpr_due(date(2026, 4, 25)) == date(2026, 5, 25)
    assert d.uk_gdpr_due(date(2026, 4, 25)) == date(2026, 5, 26)


def test_uk_deadline_over_christmas_skips_the_observed_boxing_day() -> None:
    # 26 Nov 2026 + 1 month = Saturday 26 Dec; Monday 28 Dec is Boxing Day (observed) → Tuesday 29 Dec.
    assert d.uk_gdpr_due(date(2026, 11, 26)) == date(2026, 12, 29)


def test_uk_deadline_on_a_weekend_moves_to_monday() -> None:
    # 14 Feb 2026 + 1 month = Saturday 14 March → Monday 16 March.
    assert d.uk_gdpr_due(date(2026, 2, 14)) == date(2026, 3, 16)


def test_uk_clock_starts_when_the_clarification_arrives() -> None:
    found = d.initial_deadlines("uk_gdpr", received_on=date(2026, 3, 2), clock_started_on=date(2026, 3, 10))
    assert found.due_on == date(2026, 4, 10)
    # EU GDPR keeps counting from receipt.
    assert d.initial_deadlines(
        "eu_gdpr", received_on=date(2026, 3, 2), clock_started_on=date(2026, 3, 10)
    ).due_on == date(2026, 4, 2)


def test_ccpa_acknowledgement_counts_business_days_across_weekends() -> None:
    # Thursday 5 March 2026: Fri 6, Mon 9 … Fri 13, Mon 16, Tue 17, Wed 18, Thu 19 is the 10th.
    assert d.ccpa_acknowledge_by(date(2026, 3, 5)) == date(2026, 3, 19)
    # Friday 22 May 2026: Memorial Day (Mon 25 May) does not count either → Monday 8 June.
    assert d.ccpa_acknowledge_by(date(2026, 5, 22)) == date(2026, 6, 8)


def test_ccpa_respond_in_45_calendar_days_and_one_45_day_extension() -> None:
    found = d.initial_deadlines("ccpa", received_on=date(2026, 1, 10))
    assert found.due_on == date(2026, 2, 24)
    assert found.acknowledge_by == date(2026, 1, 26)  # MLK day (19 Jan) skipped
    extended = d.extended_deadline("ccpa", received_on=date(2026, 1, 10), clock_started_on=None)
    assert extended == date(2026, 4, 10)


def test_vcdpa_lgpd_and_the_configurable_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert d.vcdpa_due(date(2026, 1, 1)) == date(2026, 2, 15)
    assert d.vcdpa_extended_due(date(2026, 1, 1)) == date(2026, 4, 1)
    assert d.lgpd_due(date(2026, 2, 20)) == date(2026, 3, 7)
    monkeypatch.setenv("PRIVACY_DEFAULT_DEADLINE_DAYS", "21")
    reset_settings_cache()
    try:
        assert d.initial_deadlines("other", received_on=date(2026, 6, 1)).due_on == date(2026, 6, 22)
    finally:
        monkeypatch.delenv("PRIVACY_DEFAULT_DEADLINE_DAYS")
        reset_settings_cache()


def test_lgpd_and_other_cannot_be_extended() -> None:
    with pytest.raises(ValueError):
        d.extended_deadline("lgpd", received_on=date(2026, 1, 1), clock_started_on=None)
    assert not d.rule_for("other").extendable
