"""Role × page × a typed URL with parameters, in a real browser.

An allowed page opens at its address; a forbidden one shows only the refusal, drops the address's
parameters and never falls through to another page (Streamlit's "Page not found" used to run the landing
page with them: a privacy officer opening /account?id=36 landed on privacy request #36).
"""

from __future__ import annotations

import pytest

from dashboard.demo.core import DEMO_PASSWORD, DEMO_USERS
from dashboard.identity import role_label
from dashboard.navigation import PAGES, landing_page
from tests.browser.conftest import shot, sign_in, wait_for_session_cookie, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("console")]

PARAMETERS = "id=36&account=1&request=36&state=uninstalled"


def _open(page, url: str) -> None:
    page.goto(url)
    wait_idle(page)


@pytest.mark.parametrize("role", list(DEMO_USERS))
def test_every_typed_page_url_with_parameters(page, console_url, role) -> None:
    email, _ = DEMO_USERS[role]
    sign_in(page, console_url, email, DEMO_PASSWORD)
    wait_for_session_cookie(page)
    for spec in PAGES:
        _open(page, f"{console_url}/{spec.key}?{PARAMETERS}")
        where = f"{role} on /{spec.key}"
        assert page.get_by_text("Page not found").count() == 0, where
        assert page.locator("[data-testid='stException']").count() == 0, where
        refusal = page.get_by_text(f"Your role ({role_label(role)}) cannot open “{spec.title}”.")
        if role in spec.roles:
            assert refusal.count() == 0, where
            continue
        refusal.wait_for()
        assert page.locator("[data-testid='stMain'] h1").count() == 0, where  # no page drew its title
        assert "?" not in page.url, f"{where}: parameters kept in {page.url}"
        if spec.key == "account" and role == "privacy_officer":
            shot(page, "privacy-officer-typed-account-url")
    # The landing page still opens at its own address afterwards.
    _open(page, f"{console_url}/{landing_page(role).key}")
    page.get_by_role("heading", name=landing_page(role).title, level=1).wait_for()
