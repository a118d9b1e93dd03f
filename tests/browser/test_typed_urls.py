"""Role × forbidden page × a typed URL with parameters, in a real browser.

A forbidden page shows only the refusal, drops the address's parameters and never falls through to another
page (Streamlit's "Page not found" used to run the landing page with them: a privacy officer opening
/account?id=36 landed on privacy request #36). Allowed pages are opened with the same parameters in
test_every_page.py.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from dashboard.access.identity import role_label
from dashboard.access.navigation import PAGES, landing_page, pages_for
from dashboard.demo.core import DEMO_PASSWORD, DEMO_USERS
from tests.browser.conftest import TYPED_PARAMETERS, shot, sign_in, wait_for_session_cookie, wait_idle

# Typed as given; the browser resolves "/account/../x" to "/x" before asking.
UNKNOWN_ADDRESSES = {
    "/nonsense?id=36&account=1": "/nonsense",
    "/account/../x?request=36": "/x",
    "/Account?id=36": "/Account",  # paths are case-sensitive
    "/home?id=36": "/home",  # the hidden home page's own name, served only at "/"
    "/a%2Fb?id=36": "/a/b",  # an encoded slash: no page can have it as its path
}
# Names no page can be registered at: Streamlit's own "Page not found" shows beside ours (parameters dropped).
STREAMLIT_NOTICE_LEFT = {"/home", "/sign-in", "/a/b"}

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("typed_urls")]
# Where parameters could leak into a landing page: the privacy officer's queue opens a request by id.
ALL_ADDRESSES_ROLE = "privacy_officer"
ROLES_WITH_FORBIDDEN_PAGES = [role for role in DEMO_USERS if len(pages_for(role)) < len(PAGES)]


def _open(page, url: str) -> None:
    page.goto(url)
    wait_idle(page)


@pytest.mark.parametrize("role", ROLES_WITH_FORBIDDEN_PAGES)
def test_every_forbidden_page_url_with_parameters_is_refused(page, console_url, role) -> None:
    email, _ = DEMO_USERS[role]
    sign_in(page, console_url, email, DEMO_PASSWORD)
    wait_for_session_cookie(page)
    for spec in (spec for spec in PAGES if role not in spec.roles):
        _open(page, f"{console_url}/{spec.key}?{TYPED_PARAMETERS}")
        where = f"{role} on /{spec.key}"
        assert page.get_by_text("Page not found").count() == 0, where
        assert page.locator("[data-testid='stException']").count() == 0, where
        page.get_by_text(f"Your role ({role_label(role)}) cannot open “{spec.title}”.").wait_for()
        assert page.locator("[data-testid='stMain'] h1").count() == 0, where  # no page drew its title
        assert "?" not in page.url, f"{where}: parameters kept in {page.url}"
        if spec.key == "account" and role == "privacy_officer":
            shot(page, "privacy-officer-typed-account-url")
    # The landing page still opens at its own address afterwards.
    _open(page, f"{console_url}/{landing_page(role).key}")
    page.get_by_role("heading", name=landing_page(role).title, level=1).wait_for()


def _assert_lands_home(
    page, console_url: str, typed: str, shown: str, home_heading: str, home_path: str, where: str
) -> None:
    _open(page, f"{console_url}{typed}")
    from playwright.sync_api import expect

    expect(page.get_by_text(f"No page at {shown}", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name=home_heading, level=1)).to_be_visible()
    landed = urlsplit(page.url)
    kept = set(parse_qs(urlsplit(typed).query)) & set(parse_qs(landed.query))
    assert (landed.path, kept) == (home_path, set()), (
        f"{where}: landed at {page.url}"
    )  # the page's own filters may show
    assert page.locator("[data-testid='stException']").count() == 0, where


@pytest.mark.parametrize("role", list(DEMO_USERS))
def test_an_address_that_is_no_page_lands_home_without_its_parameters(page, console_url, role) -> None:
    email, _ = DEMO_USERS[role]
    sign_in(page, console_url, email, DEMO_PASSWORD)
    wait_for_session_cookie(page)
    # Every address for one role; one for each other role, which checks that role's own landing page.
    addresses = list(UNKNOWN_ADDRESSES.items())
    landing = landing_page(role)
    for typed, shown in addresses if role == ALL_ADDRESSES_ROLE else addresses[:1]:
        _assert_lands_home(
            page, console_url, typed, shown, landing.title, f"/{landing.key}", f"{role} on {typed}"
        )
        if shown not in STREAMLIT_NOTICE_LEFT:
            assert page.get_by_text("Page not found").count() == 0, f"{role} on {typed}"
    if role == "privacy_officer":
        shot(page, "privacy-officer-unknown-address")
    # The notice is shown once: the next page opened has none.
    _open(page, f"{console_url}/profile")
    page.get_by_role("heading", name="My profile", level=1).wait_for()
    assert page.get_by_text("No page at").count() == 0


def test_an_address_that_is_no_page_lands_on_sign_in_when_signed_out(page, console_url) -> None:
    for typed, shown in {**UNKNOWN_ADDRESSES, "/sign-in?id=36": "/sign-in"}.items():
        _assert_lands_home(page, console_url, typed, shown, "Apps Console", "/", f"signed out on {typed}")
    # A real page's address still keeps its parameters for after sign-in (shared links).
    _open(page, f"{console_url}/account?id=36")
    assert page.url == f"{console_url}/account?id=36"
