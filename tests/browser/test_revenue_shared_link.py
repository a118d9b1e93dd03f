"""An executive opens a shared Revenue link with a segment and a date range and sees both applied."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from dashboard.core import clock
from dashboard.demo.core import DEMO_PASSWORD, DEMO_USERS
from tests.browser.conftest import shot, sign_in, wait_for_session_cookie, wait_idle


def test_a_shared_revenue_link_opens_with_its_segment_and_range(console_url: str, page) -> None:
    email, _ = DEMO_USERS["executive"]
    sign_in(page, console_url, email, DEMO_PASSWORD)
    page.get_by_role("heading", name="Overview").first.wait_for()
    wait_for_session_cookie(page)
    today = clock.today()
    start = today.replace(
        day=1, month=1 if today.month > 6 else 7, year=today.year if today.month > 6 else today.year - 1
    )
    link = f"{console_url}/revenue?by=currency&interval=month&from={start.isoformat()}&to={today.isoformat()}"
    page.goto(link)
    wait_idle(page)
    page.get_by_role("heading", name="Revenue").first.wait_for()
    # the split, the filter and the range from the link are what the widgets show
    expect(page.get_by_role("combobox", name="Split by")).to_have_value("Currency")  # ?by=currency
    interval = page.locator("[data-testid='stMultiSelect']").filter(has_text="Billing interval")
    expect(interval).to_contain_text("month")
    year = page.get_by_role("spinbutton", name="year, From month")
    expect(year).to_have_attribute("aria-valuenow", str(start.year))
    month = page.get_by_role("spinbutton", name="month, From month")
    expect(month).to_have_attribute("aria-valuenow", str(start.month))
    # the charts follow the split: one MRR area per currency in the legend
    for currency in ("EUR", "GBP", "USD"):
        expect(page.locator(".legendtext", has_text=currency).first).to_be_visible()
    expect(page).to_have_url(re.compile("by=currency"))
    expect(page).to_have_url(re.compile(f"from={start.isoformat()}"))
    shot(page, "revenue-shared-link")
