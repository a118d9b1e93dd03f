"""An account manager opens Subscriptions, filters it, and opens an account from a row."""

from __future__ import annotations

import re

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from dashboard.demo.core import DEMO_PASSWORD, DEMO_USERS
from tests.browser.conftest import shot, sign_in, wait_idle


def test_subscriptions_filter_and_open_account(console_url: str, page) -> None:
    email, _ = DEMO_USERS["account_manager"]
    sign_in(page, console_url, email, DEMO_PASSWORD)
    page.get_by_role("link", name="Subscriptions").click()
    wait_idle(page)
    page.get_by_role("heading", name="Subscriptions").first.wait_for()
    page.locator("[data-testid='stMultiSelect']").first.click()
    page.get_by_role("option", name="Active", exact=True).click()  # words; the URL keeps ?status=active
    page.keyboard.press("Escape")
    wait_idle(page)
    expect(page).to_have_url(re.compile("status=active"))  # the status filter's rerun has finished

    search = page.get_by_role("textbox", name="Search")
    for _attempt in range(3):  # a rerun still on its way can redraw the box and drop what was typed
        expect(search).to_have_count(1)  # the old box can stand beside the new one for a moment
        search.fill("")  # the box may already show "a" that never reached the app: make the edit anew
        search.fill("a")
        search.press("Enter")
        wait_idle(page)
        try:
            page.wait_for_url(re.compile(r"q=a"), timeout=20_000)
            break
        except PlaywrightTimeout:
            continue
    # both filters are in the address, so the view can be shared
    expect(page).to_have_url(re.compile(r"status=active.*q=a|q=a.*status=active"))
    shot(page, "subscriptions-filtered")

    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)  # the first row's selection marker
    page.wait_for_url(re.compile(r"/account\?id=\d+"))
    wait_idle(page)
    page.get_by_role("tab", name="Timeline").wait_for()
    page.get_by_role("tab", name="Billing").click()
    page.get_by_role("heading", name="Invoices").wait_for()
    expect(page.locator("[data-testid='stMetric']").filter(has_text="MRR")).to_have_count(1)
    shot(page, "account-360")
