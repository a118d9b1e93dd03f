"""The Installations page in Chromium: a shared link's filters apply, the URL follows, the CSV downloads."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from dashboard.demo.core import DEMO_PASSWORD, DEMO_USERS
from tests.browser.conftest import shot, sign_in, wait_idle

pytestmark = pytest.mark.browser


def _metric(page, label: str) -> int:
    metric = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return int(metric.locator("[data-testid='stMetricValue']").inner_text().replace(",", ""))


def test_installations_filters_chart_table_and_csv(page, console_url: str) -> None:
    email, _ = DEMO_USERS["account_manager"]
    sign_in(page, console_url, email, DEMO_PASSWORD)

    page.get_by_role("link", name="Installations").click()
    wait_idle(page)
    total = _metric(page, "Total")
    uninstalled = _metric(page, "Uninstalled")
    assert total > uninstalled > 0
    assert page.locator("[data-testid='stPlotlyChart']").count() == 1
    assert page.locator("[data-testid='stDataFrame']").count() == 1

    page.get_by_role("combobox", name="State").first.click()  # open the State multiselect
    page.get_by_role("option", name="uninstalled").click()
    page.keyboard.press("Escape")
    wait_idle(page)
    assert "state=uninstalled" in page.url
    assert _metric(page, "Total") == uninstalled
    shot(page, "installations-uninstalled")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == uninstalled
    assert {row["state"] for row in rows} == {"uninstalled"}

    shared_link = page.url  # a colleague opening the link sees the same filter
    page.goto(shared_link)
    wait_idle(page)
    if page.get_by_label("Password", exact=True).count():
        sign_in(page, shared_link, email, DEMO_PASSWORD)
    assert "state=uninstalled" in page.url
    assert _metric(page, "Total") == uninstalled
