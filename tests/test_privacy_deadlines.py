"""Each legal deadline rule against dates worked out by hand (calendars for 2026–2028).

The engine reads `dashboard/privacy/deadline_rules.toml`; every row there has dated cases below, and a
test fails when a rule is added without them.
"""

from datetime import date
from pathlib import Path

import pytest

from dashboard.core.settings import reset_settings_cache
from dashboard.privacy import deadlines as d

US_45_DAY_STATES = (
    "vcdpa",
    "co_cpa",
    "ct_dpa",
    "ut_ucpa",
    "tx_tdpsa",
    "or_ocpa",
    "mt_cdpa",
    "de_dpdpa",
    "nh_dpa",
    "nj_dpa",
    "ne_dpa",
    "tn_tipa",
    "mn_cdpa",
    "md_odpa",
    "in_cdpa",
    "ky_cdpa",
    "ri_dtppa",
)

# (rule, clock start, due, extended due or None when the rule allows no extension)
CASES = [
    ("eu_gdpr", date(2027, 1, 31), date(2027, 2, 28), date(2027, 4, 30)),  # no 31 February
    ("eu_gdpr", date(2027, 11, 30), date(2027, 12, 30), date(2028, 2, 29)),  # extension ends on a leap day
    (
        "uk_gdpr",
        date(2026, 4, 25),
        date(2026, 5, 26),
        date(2026, 7, 27),
    ),  # 25 May Spring bank holiday; 25 Jul a Saturday
    ("uk_gdpr", date(2027, 9, 26), date(2027, 10, 26), date(2027, 12, 29)),  # 26 Dec Sunday, 27+28 observed
    ("ccpa", date(2026, 1, 10), date(2026, 2, 24), date(2026, 4, 10)),
    ("ccpa", date(2028, 1, 15), date(2028, 2, 29), date(2028, 4, 14)),  # leap day
    (
        "ia_icdpa",
        date(2026, 1, 1),
        date(2026, 4, 1),
        date(2026, 5, 16),
    ),  # 90 days, then 45 (a Saturday: kept)
    ("ia_icdpa", date(2027, 12, 1), date(2028, 2, 29), date(2028, 4, 14)),
    ("lgpd", date(2026, 2, 20), date(2026, 3, 7), None),
    ("lgpd", date(2028, 2, 14), date(2028, 2, 29), None),
    ("kvkk", date(2026, 9, 29), date(2026, 10, 29), None),  # Republic Day: holidays count, no roll
    ("kvkk", date(2026, 4, 27), date(2026, 5, 27), None),  # first day of Eid al-Adha: kept
    ("kvkk", date(2028, 1, 30), date(2028, 2, 29), None),  # leap year
    ("kvkk", date(2027, 1, 30), date(2027, 3, 1), None),
    ("pipeda", date(2026, 6, 1), date(2026, 7, 1), date(2026, 7, 31)),  # Canada Day: kept (see docs)
    ("pipeda", date(2026, 1, 30), date(2026, 3, 1), date(2026, 3, 31)),  # a Sunday: kept
    ("qc_law25", date(2026, 5, 25), date(2026, 6, 24), None),  # Fête nationale: kept
    ("qc_law25", date(2028, 1, 31), date(2028, 3, 1), None),
    ("ch_nfadp", date(2027, 1, 31), date(2027, 3, 2), date(2027, 4, 1)),
    ("ch_nfadp", date(2026, 12, 1), date(2026, 12, 31), date(2027, 1, 30)),
    ("au_privacy", date(2028, 2, 1), date(2028, 3, 2), None),  # 29 February counted
    ("au_privacy", date(2026, 12, 26), date(2027, 1, 25), None),
    ("sg_pdpa", date(2026, 12, 2), date(2027, 1, 1), date(2027, 1, 31)),
    ("sg_pdpa", date(2028, 2, 10), date(2028, 3, 11), date(2028, 4, 10)),
    ("other", date(2026, 6, 1), date(2026, 7, 1), None),
]
# Every 45-day US state: a Sunday kept, a leap day, across Christmas and the year end.
for _key in US_45_DAY_STATES:
    CASES += [
        (_key, date(2026, 1, 1), date(2026, 2, 15), date(2026, 4, 1)),
        (_key, date(2028, 1, 15), date(2028, 2, 29), date(2028, 4, 14)),
        (_key, date(2026, 11, 20), date(2027, 1, 4), date(2027, 2, 18)),
    ]


@pytest.mark.parametrize(("key", "start", "due", "extended"), CASES)
def test_rule_dates(key: str, start: date, due: date, extended: date | None) -> None:
    rule = d.rule_for(key)
    assert rule.due(start) == due
    if extended is None:
        assert not rule.extendable
        with pytest.raises(ValueError):
            d.extended_deadline(key, received_on=start, clock_started_on=None)
    else:
        assert d.extended_deadline(key, received_on=start, clock_started_on=None) == extended


def test_every_rule_has_dated_cases_and_the_issue_laws_are_there() -> None:
    assert {case[0] for case in CASES} == set(d.RULES)
    required = {"kvkk", "pipeda", "qc_law25", "ch_nfadp", "au_privacy", "sg_pdpa", "ia_icdpa"}
    assert required | set(US_45_DAY_STATES) <= set(d.RULES)
    states = {state for rule in d.RULES.values() for state in rule.us_states}
    assert {
        "CO",
        "CT",
        "UT",
        "TX",
        "OR",
        "MT",
        "IA",
        "DE",
        "NH",
        "NJ",
        "NE",
        "TN",
        "MN",
        "MD",
        "IN",
        "KY",
    } | {
        "RI",
        "CA",
        "VA",
    } <= states
    for rule in d.RULES.values():
        assert rule.citation and rule.label


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
    assert d.due_on("eu_gdpr", start) == due


def test_gdpr_extension_is_two_more_months_from_the_start() -> None:
    assert d.rule_for("eu_gdpr").extended_due(date(2026, 11, 30)) == date(2027, 2, 28)
    assert d.rule_for("eu_gdpr").extended_due(date(2024, 11, 29)) == date(2025, 2, 28)


def test_uk_deadline_on_a_bank_holiday_moves_to_the_next_working_day() -> None:
    # 25 April 2026 + 1 month = 25 May 2026, the Spring bank holiday (a Monday) → Tuesday 26 May.
    assert d.due_on("eu_gdpr", date(2026, 4, 25)) == date(2026, 5, 25)
    assert d.due_on("uk_gdpr", date(2026, 4, 25)) == date(2026, 5, 26)


def test_uk_deadline_over_christmas_skips_the_observed_boxing_day() -> None:
    # 26 Nov 2026 + 1 month = Saturday 26 Dec; Monday 28 Dec is Boxing Day (observed) → Tuesday 29 Dec.
    assert d.due_on("uk_gdpr", date(2026, 11, 26)) == date(2026, 12, 29)


def test_uk_deadline_on_a_weekend_moves_to_monday() -> None:
    # 14 Feb 2026 + 1 month = Saturday 14 March → Monday 16 March.
    assert d.due_on("uk_gdpr", date(2026, 2, 14)) == date(2026, 3, 16)


def test_uk_clock_starts_when_the_clarification_arrives() -> None:
    found = d.initial_deadlines("uk_gdpr", received_on=date(2026, 3, 2), clock_started_on=date(2026, 3, 10))
    assert found.due_on == date(2026, 4, 10)
    # EU GDPR and every other rule keep counting from receipt.
    for key in ("eu_gdpr", "kvkk", "co_cpa", "pipeda", "sg_pdpa"):
        started = d.initial_deadlines(key, received_on=date(2026, 3, 2), clock_started_on=date(2026, 3, 10))
        assert started.due_on == d.due_on(key, date(2026, 3, 2))
    assert [k for k, r in d.RULES.items() if r.clock_restarts_on_clarification] == ["uk_gdpr"]


def test_ccpa_acknowledgement_counts_business_days_across_weekends_and_federal_holidays() -> None:
    ack = d.rule_for("ccpa").acknowledge_by
    # Thursday 5 March 2026: Fri 6, Mon 9 … Fri 13, Mon 16, Tue 17, Wed 18, Thu 19 is the 10th.
    assert ack(date(2026, 3, 5)) == date(2026, 3, 19)
    # Friday 22 May 2026: Memorial Day (Mon 25 May) does not count either → Monday 8 June.
    assert ack(date(2026, 5, 22)) == date(2026, 6, 8)
    # Thursday 25 June 2026: Independence Day observed on Friday 3 July → Friday 10 July.
    assert ack(date(2026, 6, 25)) == date(2026, 7, 10)
    # Juneteenth 2027 observed on Friday 18 June: Wednesday 9 June → Thursday 24 June.
    assert ack(date(2027, 6, 9)) == date(2027, 6, 24)


def test_ccpa_respond_in_45_calendar_days_and_one_45_day_extension() -> None:
    found = d.initial_deadlines("ccpa", received_on=date(2026, 1, 10))
    assert found.due_on == date(2026, 2, 24)
    assert found.acknowledge_by == date(2026, 1, 26)  # MLK day (19 Jan) skipped
    extended = d.extended_deadline("ccpa", received_on=date(2026, 1, 10), clock_started_on=None)
    assert extended == date(2026, 4, 10)


def test_only_ccpa_has_an_acknowledgement_duty() -> None:
    assert [k for k, r in d.RULES.items() if r.acknowledge_period] == ["ccpa"]
    assert d.initial_deadlines("kvkk", received_on=date(2026, 1, 1)).acknowledge_by is None


def test_the_configurable_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRIVACY_DEFAULT_DEADLINE_DAYS", "21")
    reset_settings_cache()
    try:
        assert d.initial_deadlines("other", received_on=date(2026, 6, 1)).due_on == date(2026, 6, 22)
    finally:
        monkeypatch.delenv("PRIVACY_DEFAULT_DEADLINE_DAYS")
        reset_settings_cache()


def test_appeal_information_where_the_law_gives_an_appeal_or_complaint() -> None:
    needs = {k for k, r in d.RULES.items() if r.denial_needs_appeal_info}
    assert {"eu_gdpr", "uk_gdpr", "vcdpa", "co_cpa", "tx_tdpsa", "kvkk", "pipeda", "qc_law25"} <= needs
    assert not needs & {"ccpa", "ut_ucpa", "lgpd", "other"}


def test_malformed_rows_are_refused(tmp_path: Path) -> None:
    base = 'key = "x"\nlabel = "X"\ncitation = "c"\ncount = "calendar_days"\n'
    other = '[[rule]]\nkey = "other"\nlabel = "Other"\ncitation = "c"\nperiod = 30\ncount = "calendar_days"\n'
    bad = {
        "no period": base,
        "unknown count": base.replace("calendar_days", "fortnights") + "period = 1\n",
        "unknown field": base + "period = 1\npauses = true\n",
        "business days without a calendar": base.replace("calendar_days", "business_days") + "period = 5\n",
        "extension without notice rule": base + "period = 5\nextension_period = 5\n",
        "key too long": base.replace('"x"', '"x_very_long_key_123"') + "period = 1\n",
    }
    for why, row in bad.items():
        path = tmp_path / "rules.toml"
        path.write_text(f"[[rule]]\n{row}\n{other}")
        with pytest.raises(ValueError):
            d.load_rules(path)
        assert why


def test_the_docs_list_every_rule() -> None:
    text = (Path(__file__).parents[1] / "docs" / "privacy-deadlines.md").read_text()
    for rule in d.RULES.values():
        assert rule.label in text, rule.label
