"""The executive lands on the Overview: tiles with changes, trends, no personal data, period in the URL."""

from __future__ import annotations

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
    assert main.get_by_role("heading", name="Net installs").is_visible()
    assert main.get_by_role("heading", name="Usage trend").is_visible()
    assert "@" not in main.inner_text()
    shot(page, "overview-executive")

    main.get_by_text("Last 90 days").click()
    wait_idle(page)
    assert "period=90" in page.url
    assert main.get_by_role("heading", name="Overview").is_visible()
    assert "@" not in main.inner_text()
