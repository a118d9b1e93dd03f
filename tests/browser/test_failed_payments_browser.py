"""An account manager opens Failed payments, picks an open invoice and follows it to Account 360."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from dashboard.demo.core import DEMO_PASSWORD, DEMO_USERS
from tests.browser.conftest import shot, sign_in, wait_idle


def test_failed_payments_row_opens_account_360(console_url: str, page) -> None:
    email, _ = DEMO_USERS["account_manager"]
    sign_in(page, console_url, email, DEMO_PASSWORD)
    page.get_by_role("link", name="Failed payments").click()
    wait_idle(page)
    page.get_by_role("heading", name="Failed payments").first.wait_for()
    expect(page.locator("[data-testid='stMetric']").filter(has_text="At risk")).to_have_count(1)
    expect(page.get_by_text("Pick a row to open its account.").first).to_be_visible()
    shot(page, "failed-payments")

    grid = page.locator("[data-testid='stDataFrame']").first  # open invoices, oldest first
    grid.wait_for()
    grid.scroll_into_view_if_needed()  # below the fold at 1400 x 900: a click needs it on screen
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)  # the first row's selection marker
    wait_idle(page)
    link = page.get_by_role("link", name=re.compile(r"^Open .+ in Account 360$")).first
    expect(link).to_be_visible()
    shot(page, "failed-payments-row-picked")
    link.click()
    page.wait_for_url(re.compile(r"/account\?id=\d+"))
    wait_idle(page)
    expect(page.get_by_role("tab", name="Billing")).to_be_visible()  # Account 360's billing tab
    shot(page, "failed-payments-to-account-360")
