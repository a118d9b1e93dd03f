"""The executive lands on the Overview: tiles with changes, trends, no personal data, period in the URL."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from dashboard.demo.core import DEMO_PASSWORD, DEMO_USERS
from tests.browser.conftest import shot, sign_in, wait_idle


def test_executive_lands_on_the_overview(console_url: str, page) -> None:
    sign_in(page, console_url, DEMO_USERS["executive"][0], DEMO_PASSWORD)

    main = page.locator("[data-testid='stMain']")
    main.get_by_role("heading", name="Overview").wait_for()
    main.locator("[data-testid='stMetricLabel']").filter(has_text="Overdue privacy requests").wait_for()
    labels = main.locator("[data-testid='stMetricLabel']").all_inner_texts()
    assert {"Active installations", "MAU", "Open privacy requests", "Overdue privacy requests"} <= {
        label.strip() for label in labels
    }
    expect(main.get_by_role("heading", name="Net installs")).to_be_visible()
    expect(main.get_by_role("heading", name="Usage trend")).to_be_visible()
    assert "@" not in main.inner_text()
    shot(page, "overview-executive")

    main.get_by_text("Last 90 days").click()
    wait_idle(page)
    expect(page).to_have_url(re.compile(r"period=90"))
    expect(main.get_by_role("heading", name="Overview")).to_be_visible()
    assert "@" not in main.inner_text()
