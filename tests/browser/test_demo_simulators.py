"""A fresh clone's `./scripts/start`: the demo's simulated Stripe and Zendesk are running, every page says
so, and the admin syncs both from *Sync and settings* (the demo mirror stays as it is)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from dashboard.demo.core import DEMO_PASSWORD, DEMO_USERS
from tests.browser.conftest import shot, sign_in, wait_for_session_cookie, wait_idle

BANNER = "Demo Stripe — simulated, no real money"


def test_the_demo_runs_simulated_stripe_and_zendesk_and_both_sync(console_url: str, page) -> None:
    page.goto(console_url)
    wait_idle(page)
    expect(page.get_by_text(BANNER)).to_be_visible()  # on the sign-in page too
    sign_in(page, console_url, DEMO_USERS["admin"][0], DEMO_PASSWORD)
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_text(BANNER)).to_be_visible()
    expect(main.get_by_text("Demo Zendesk — simulated, no real tickets")).to_be_visible()

    wait_for_session_cookie(page)  # the typed address below is a new page load: it needs the cookie
    page.goto(f"{console_url}/sync")
    wait_idle(page)
    main.locator("[role='tab']").filter(has_text="Stripe").click()
    main.get_by_text("Full sync (list everything").click()
    wait_idle(page)
    main.get_by_role("tabpanel").get_by_role("button", name="Sync now").click()
    expect(main.get_by_text(re.compile(r"Stripe sync run \d+ succeeded"))).to_be_visible()
    shot(page, "demo-simulators-stripe-sync")
    main.locator("[role='tab']").filter(has_text="Zendesk").click()
    main.get_by_role("tabpanel").filter(visible=True).get_by_role("button", name="Sync now").click()
    wait_idle(page)
    expect(main.get_by_text("Sync succeeded")).to_be_visible()
    expect(main.get_by_text(re.compile(r"succeeded · by admin@demo.example"))).to_be_visible()
    shot(page, "demo-simulators-zendesk-sync")
