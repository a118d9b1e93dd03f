"""The Installations page in Chromium: a shared link's filters apply, the URL follows, the CSV downloads."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from dashboard.demo.core import DEMO_PASSWORD, DEMO_USERS
from tests.browser.conftest import download, shot, sign_in, wait_idle

pytestmark = pytest.mark.browser


def _metric_value(page, label: str):
    metric = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return metric.locator("[data-testid='stMetricValue']")


def _metric(page, label: str) -> int:
    return int(_metric_value(page, label).inner_text().replace(",", ""))


def test_installations_filters_chart_table_and_csv(page, console_url: str) -> None:
    email, _ = DEMO_USERS["account_manager"]
    sign_in(page, console_url, email, DEMO_PASSWORD)

    page.get_by_role("link", name="Installations").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Installations", level=1)).to_be_visible()
    total = _metric(page, "Total")
    uninstalled = _metric(page, "Uninstalled")
    assert total > uninstalled > 0
    expect(page.locator("[data-testid='stPlotlyChart']")).to_have_count(1)
    expect(page.locator("[data-testid='stDataFrame']")).to_have_count(1)

    page.get_by_role("combobox", name="State").first.click()  # open the State multiselect
    page.get_by_role("option", name="Uninstalled").click()  # words; the URL keeps ?state=uninstalled
    page.keyboard.press("Escape")
    wait_idle(page)
    expect(page).to_have_url(re.compile("state=uninstalled"))
    expect(_metric_value(page, "Total")).to_have_text(f"{uninstalled:,}")
    shot(page, "installations-uninstalled")

    text = download(page, page.get_by_role("button", name="Download CSV")).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == uninstalled
    assert {row["State"] for row in rows} == {"uninstalled"}  # human header, the stored value

    shared_link = page.url  # a colleague opening the link sees the same filter
    page.goto(shared_link)
    wait_idle(page)
    if page.get_by_label("Password", exact=True).count():
        sign_in(page, shared_link, email, DEMO_PASSWORD)
    expect(page).to_have_url(re.compile("state=uninstalled"))
    expect(_metric_value(page, "Total")).to_have_text(f"{uninstalled:,}")
