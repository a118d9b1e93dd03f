"""Every page as every role in Chromium at 1400 px, typed with parameters other pages read: it opens at its
address without an error or a refusal, and no label shows a raw machine name ("job_title", "past_due",
"Mrr") or "None", and no figure or label is cut short. Each page's screenshot is kept in
`test-artifacts/pages/` for a person to look at. Forbidden pages are tried in test_typed_urls.py."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from dashboard.access.identity import role_label
from dashboard.access.navigation import pages_for
from dashboard.demo.core import DEMO_PASSWORD, DEMO_USERS
from tests.browser.conftest import TYPED_PARAMETERS, shot, sign_in, wait_for_session_cookie, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("every_page")]

# Where a page labels things as text in the page (tables draw on a canvas and are checked in the
# screens' tests): headings, widget labels, metric labels, tabs, and the charts' titles, axes, legends.
LABELS = ", ".join(
    [
        "[data-testid='stMain'] h1",
        "[data-testid='stMain'] h2",
        "[data-testid='stMain'] h3",
        "[data-testid='stWidgetLabel']",
        "[data-testid='stMetricLabel']",
        "[data-testid='stMetricValue']",
        "[data-testid='stTab']",
        ".js-plotly-plot .gtitle",
        ".js-plotly-plot .xtitle",
        ".js-plotly-plot .ytitle",
        ".js-plotly-plot .legendtext",
        ".js-plotly-plot .legendtitletext",
        ".js-plotly-plot .annotation-text",
    ]
)
# Text that must show whole at 1400 px: a figure or a label cut short ("11700.24…") is a defect.
# Streamlit cuts on an inner block (`stMarkdownEllipsis`), so every element inside is checked.
WHOLE = ", ".join(
    [
        "[data-testid='stMetric'] *",
        "[data-testid='stWidgetLabel'] *",
        "[data-testid='stTab'] *",
        "[data-testid='stMain'] h1",
    ]
)
CLIPPED = """(selector) => [...document.querySelectorAll(selector)]
    .filter((element) => element.scrollWidth > element.clientWidth + 1)
    .map((element) => element.textContent.trim())"""
MACHINE_NAME = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b|\bNone\b|\b[A-Z][a-z]+=[0-9]+")


def _labels(page) -> list[str]:
    return [text.strip() for text in page.locator(LABELS).all_text_contents() if text and text.strip()]


@pytest.mark.parametrize("role", list(DEMO_USERS))
def test_every_page_reads_as_words(page, console_url, role) -> None:
    email, _ = DEMO_USERS[role]
    sign_in(page, console_url, email, DEMO_PASSWORD)
    wait_for_session_cookie(page)
    offending: dict[str, list[str]] = {}
    for spec in pages_for(role):
        page.goto(f"{console_url}/{spec.key}?{TYPED_PARAMETERS}")
        wait_idle(page)
        expect(page.get_by_role("heading", level=1).first).to_be_visible()
        where = f"{role} on /{spec.key}"
        assert page.get_by_text("Page not found").count() == 0, where
        refusal = f"Your role ({role_label(role)}) cannot open “{spec.title}”."
        assert page.get_by_text(refusal).count() == 0, where
        expect(page.locator("[data-testid='stException']")).to_have_count(0)
        shot(page, f"pages/{role}-{spec.key}")
        bad = [label for label in _labels(page) if MACHINE_NAME.search(label)]
        bad += [f"cut short: {text}" for text in page.evaluate(CLIPPED, WHOLE)]
        if bad:
            offending[spec.key] = bad
    assert offending == {}
