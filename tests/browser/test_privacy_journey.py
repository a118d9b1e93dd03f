"""A privacy officer's journey in a real browser: log a request, assign it, extend it, complete it."""

import re

import pytest
from playwright.sync_api import expect

from dashboard.demo.core import DEMO_PASSWORD, DEMO_USERS
from tests.browser.conftest import choose_option, click_button, shot, sign_in, wait_idle

pytestmark = pytest.mark.browser


def test_log_assign_extend_and_complete_a_request(console_url, page) -> None:
    email, name = DEMO_USERS["privacy_officer"]
    sign_in(page, console_url, email, DEMO_PASSWORD)
    page.get_by_role("heading", name="Privacy requests").wait_for()  # the officer's landing page
    page.locator("[data-testid='stMetric']").filter(has_text="Overdue").wait_for()
    shot(page, "privacy-0-queue")
    page.get_by_role("link", name="Log a request").click()  # a new page load would start a new session
    wait_idle(page)
    page.get_by_label("Subject's name").fill("Journey <b>Tester</b>")
    page.get_by_label("Subject's email").fill("journey.tester@example.com")
    page.get_by_label("Subject's country").fill("DE")  # suggests EU GDPR, which allows an extension
    page.get_by_role("textbox", name="Notes").fill("Asked by email for a copy of everything we hold.")
    click_button(page, "Log request")
    success = page.get_by_text(re.compile(r"Request #\d+ logged\. Due"))
    request_id = re.search(r"#(\d+)", success.inner_text()).group(1)
    page.get_by_text("Subject: Journey <b>Tester</b>").wait_for()  # shown as text, not as HTML
    expect(page.get_by_label("Subject's name")).to_have_value("")  # ready for the next request
    shot(page, "privacy-1-logged")

    click_button(page, f"Open request #{request_id}")
    page.get_by_role("heading", name=f"Request #{request_id} · Access").wait_for()
    expect(page).to_have_url(re.compile(f"id={request_id}"))

    page.get_by_role("tab", name="Assign").click()
    choose_option(page, "Assign to", f"{name} (privacy officer)")
    click_button(page, "Assign")
    page.locator(".st-key-request_assignee").get_by_text(name).wait_for()

    page.get_by_role("tab", name="Extend").click()
    reason = page.get_by_role("textbox", name="Reason for the extension")
    reason.fill("Data spread over three Zendesk instances.")
    click_button(page, "Extend deadline")
    page.get_by_text("yes, subject told").wait_for(state="attached")  # a cell of the facts grid
    shot(page, "privacy-2-extended")

    page.get_by_role("tab", name="Status").click()
    choose_option(page, "New status", "In progress")
    click_button(page, "Change status")
    page.get_by_role("tab", name="Status").click()
    choose_option(page, "New status", "Completed")
    click_button(page, "Change status")
    page.locator(".st-key-request_status").get_by_text("Completed").wait_for()
    page.get_by_text("In progress → Completed").wait_for(state="attached")  # on the timeline
    shot(page, "privacy-3-completed")

    page.get_by_role("link", name="Privacy reports").click()
    wait_idle(page)
    page.get_by_role("heading", name="Marketing suppression list").wait_for()
    shot(page, "privacy-4-reports")
