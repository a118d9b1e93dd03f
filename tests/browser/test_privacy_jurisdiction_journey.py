"""A privacy officer in Chromium: a suggested jurisdiction overridden with a reason, the deadlines
calendar, and the data map download."""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from dashboard.demo.core import DEMO_PASSWORD, DEMO_USERS
from tests.browser.conftest import choose_option, click_button, download, shot, sign_in, wait_idle

pytestmark = pytest.mark.browser


def test_override_a_suggested_jurisdiction_then_download_the_data_map(console_url, page) -> None:
    email, _name = DEMO_USERS["privacy_officer"]
    sign_in(page, console_url, email, DEMO_PASSWORD)
    page.get_by_role("heading", name="Privacy requests").wait_for()
    ics = download(page, page.get_by_role("button", name="Deadlines for my calendar (ICS)")).read_text()
    assert ics.startswith("BEGIN:VCALENDAR") and "BEGIN:VEVENT" in ics

    page.get_by_role("link", name="Log a request").click()
    wait_idle(page)
    page.get_by_label("Subject's name").fill("Jordan Override")
    page.get_by_label("Subject's email").fill("jordan.override@example.com")
    page.get_by_label("Subject's country").fill("US")
    page.get_by_label("Subject's US state").fill("CO")
    choose_option(page, "Jurisdiction", "Texas TDPSA", typed="Texas")  # the long list scrolls under a click
    click_button(page, "Log request")
    expect(page.get_by_text(re.compile("Suggested: Colorado CPA, from the subject's state"))).to_be_visible()
    shot(page, "jurisdiction-1-reason-asked")
    page.get_by_label("Reason, if you choose another jurisdiction").fill("Moved to Austin, TX in 2026.")
    click_button(page, "Log request")
    expect(page.get_by_text(re.compile(r"Request #\d+ logged\. Due"))).to_be_visible()
    note = page.get_by_text(re.compile("Suggested was Colorado CPA; chosen instead because: Moved to Austin"))
    expect(note).to_be_visible()
    shot(page, "jurisdiction-2-overridden")

    page.get_by_role("link", name="Data map").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Data map")).to_be_visible()
    expect(page.get_by_role("heading", name="Zendesk")).to_be_visible()
    shot(page, "jurisdiction-3-data-map")
    data_map = download(page, page.get_by_role("button", name="Download the data map (CSV)"))
    text = data_map.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["system"] for r in rows} == {"Console store", "Stripe", "Zendesk"}
    contact_email = next(r for r in rows if r["record"] == "contacts" and r["field"] == "email")
    assert contact_email["category"] == "Contact email" and contact_email["export"] == "exported (contact)"
