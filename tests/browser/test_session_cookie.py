"""In Chromium: local sign-in survives a reload and a shared link; sign-out and bogus cookies end it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from dashboard.access.sessions import COOKIE_NAME
from dashboard.demo.core import DEMO_PASSWORD, DEMO_USERS
from tests.browser.conftest import shot, sign_in, wait_for_session_cookie, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("session_cookie")]


def _metric(page, label: str) -> int:
    metric = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return int(metric.locator("[data-testid='stMetricValue']").inner_text().replace(",", ""))


def _session_cookie(page) -> dict:
    wait_for_session_cookie(page)
    cookies = [c for c in page.context.cookies() if c["name"] == COOKIE_NAME]
    assert len(cookies) == 1, cookies
    return cookies[0]


def _password_field(page):
    return page.get_by_label("Password", exact=True)


def test_sign_in_survives_reload_and_shared_link_until_sign_out(page, console_url) -> None:
    # A page's own link (here Installations) opens again after a reload and in a new tab.
    email, name = DEMO_USERS["account_manager"]
    sign_in(page, console_url, email, DEMO_PASSWORD)
    page.get_by_text(f"Signed in as {name}").wait_for()
    cookie = _session_cookie(page)
    assert cookie["sameSite"] == "Strict" and cookie["path"] == "/" and cookie["expires"] > 0
    assert len(cookie["value"]) >= 43  # 32 random bytes, base64url

    wait_idle(page)
    page.get_by_role("link", name="Installations").click()
    expect(page).to_have_url(re.compile(r"/installations$"))
    page.get_by_role("heading", name="Installations", level=1).wait_for()
    wait_idle(page)
    page.reload()
    wait_idle(page)
    page.get_by_role("heading", name="Installations", level=1).wait_for()
    expect(_password_field(page)).to_have_count(0)
    page.get_by_text(f"Signed in as {name}").wait_for()
    shot(page, "session-after-reload")

    shared = page.context.new_page()
    shared.goto(f"{console_url}/installations?state=uninstalled")
    wait_idle(shared)
    shared.get_by_role("heading", name="Installations", level=1).wait_for()
    expect(_password_field(shared)).to_have_count(0)
    expect(shared).to_have_url(re.compile("state=uninstalled"))
    assert _metric(shared, "Total") == _metric(shared, "Uninstalled") > 0
    shot(shared, "session-shared-link-new-tab")
    shared.close()

    page.get_by_role("button", name="Sign out").click()
    wait_idle(page)
    page.get_by_label("Email", exact=True).wait_for()
    page.wait_for_function(f"!document.cookie.includes('{COOKIE_NAME}=')")
    page.reload()
    wait_idle(page)
    expect(_password_field(page)).to_be_visible()
    assert page.locator("[data-testid='stSidebarNav']").count() == 0


def test_signed_out_token_is_refused_even_if_the_browser_kept_it(page, console_url) -> None:
    email, _ = DEMO_USERS["executive"]
    sign_in(page, console_url, email, DEMO_PASSWORD)
    kept = _session_cookie(page)
    page.get_by_role("button", name="Sign out").click()
    wait_idle(page)
    page.context.add_cookies([{k: kept[k] for k in ("name", "value", "domain", "path")}])
    page.goto(console_url)
    wait_idle(page)
    expect(_password_field(page)).to_be_visible()


def test_bogus_cookie_shows_the_sign_in_form(page, console_url) -> None:
    page.context.add_cookies([{"name": COOKIE_NAME, "value": "bogus-token", "url": console_url}])
    page.goto(f"{console_url}/installations?state=uninstalled")
    wait_idle(page)
    expect(_password_field(page)).to_be_visible()
    assert page.get_by_role("heading", name="Installations", level=1).count() == 0
    page.wait_for_function(f"!document.cookie.includes('{COOKIE_NAME}=')")  # the stale cookie is expired
