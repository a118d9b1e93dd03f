"""An account manager lands on My accounts, opens one of their accounts and sees its header and timeline."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from dashboard.demo.core import DEMO_PASSWORD, DEMO_USERS
from tests.browser.conftest import shot, sign_in, wait_idle


def test_account_manager_lands_on_my_accounts_and_opens_an_account(console_url: str, page) -> None:
    email, name = DEMO_USERS["account_manager"]
    sign_in(page, console_url, email, DEMO_PASSWORD)
    page.get_by_role("heading", name="My accounts", level=1).wait_for()
    expect(page.get_by_text(f"Accounts owned by {name}.")).to_have_count(1)
    expect(page.locator("[data-testid='stMetric']").filter(has_text="Renewing in 30 days")).to_have_count(1)
    shot(page, "my-accounts-landing")

    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)  # the first row's selection marker
    page.wait_for_url(re.compile(r"/account\?id=\d+"))
    wait_idle(page)
    for label in ("MRR", "Renewal", "Open invoices", "Seats billed / in Zendesk", "Health"):
        expect(page.locator("[data-testid='stMetric']").filter(has_text=label)).to_have_count(1)
    expect(page.get_by_role("button", name="Correct billing")).to_be_enabled()
    page.get_by_role("tab", name="Timeline").wait_for()
    timeline = page.locator("[data-testid='stDataFrame']").first
    expect(timeline).to_be_visible()
    expect(page.get_by_text("None", exact=True)).to_have_count(0)
    shot(page, "account-360-header-and-timeline")
    page.get_by_role("tab", name="Billing").click()
    page.get_by_role("heading", name="Subscriptions").wait_for()
    shot(page, "account-360-billing-tab")
