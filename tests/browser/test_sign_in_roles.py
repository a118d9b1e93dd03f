"""In a real browser: each demo role signs in, sees exactly its pages in the sidebar, and signs out."""

from __future__ import annotations

import pytest

from dashboard.access.identity import role_label
from dashboard.access.navigation import landing_page, pages_for
from dashboard.demo.core import DEMO_PASSWORD, DEMO_USERS
from tests.browser.conftest import shot, sign_in, wait_for_session_cookie, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("sign_in_roles")]


def _sidebar_links(page) -> list[str]:
    """Page titles in the sidebar navigation (Streamlit draws none when a role has a single page)."""
    nav = page.locator("[data-testid='stSidebarNav']")
    # Each link's text is its icon's ligature name, then the title.
    return [text.strip().splitlines()[-1] for text in nav.locator("a").all_inner_texts()]


@pytest.mark.parametrize("role", list(DEMO_USERS))
def test_demo_role_sees_exactly_its_pages_and_signs_out(page, console_url, role) -> None:
    email, name = DEMO_USERS[role]
    sign_in(page, console_url, email, DEMO_PASSWORD)
    page.get_by_text(f"Signed in as {name} · {role_label(role)}").wait_for()
    page.get_by_role("heading", name=landing_page(role).title, level=1).wait_for()
    expected = sorted(spec.title for spec in pages_for(role))
    assert sorted(_sidebar_links(page)) == (expected if len(expected) > 1 else [])
    assert page.locator("[data-testid='stException']").count() == 0
    shot(page, f"signed-in-{role}")

    page.get_by_role("button", name="Sign out").click()
    wait_idle(page)
    page.get_by_label("Email", exact=True).wait_for()
    assert page.locator("[data-testid='stSidebarNav']").count() == 0


def test_a_typed_url_of_a_forbidden_page_opens_nothing(page, console_url) -> None:
    """The session cookie keeps the executive signed in on a typed URL; the Users page stays closed."""
    email, _ = DEMO_USERS["executive"]
    sign_in(page, console_url, email, DEMO_PASSWORD)
    wait_for_session_cookie(page)
    page.goto(f"{console_url}/users")
    wait_idle(page)
    page.get_by_text("Your role (Executive) cannot open “Users and roles”.").wait_for()
    assert page.get_by_role("heading", name="Users and roles", level=1).count() == 0
    assert page.get_by_role("heading", name=landing_page("executive").title, level=1).count() == 0
    assert sorted(_sidebar_links(page)) == sorted(spec.title for spec in pages_for("executive"))
    shot(page, "typed-users-url")


def test_wrong_password_is_refused(page, console_url) -> None:
    email, _ = DEMO_USERS["admin"]
    sign_in(page, console_url, email, "not the password")
    page.get_by_text("Wrong email or password.").wait_for()
    # Started as the README says, with no key set: the demo store generated its keys and says so.
    page.get_by_text("Demo store — logins in the README.").wait_for()
    assert page.locator("[data-testid='stSidebarNav']").count() == 0
