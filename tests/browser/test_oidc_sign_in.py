"""In a real browser: sign-in through OIDC (`st.login`) against oidc-provider-mock, a real OpenID provider.

The provider runs in this process on 127.0.0.1; the console gets its `[auth]` section from a temporary
secrets file (`--secrets.files`), so the repo's own `.streamlit/` is never touched.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import werkzeug.serving

from dashboard.access.navigation import landing_page
from dashboard.demo.core import DEMO_USERS
from tests.browser.conftest import free_port, shot, start_streamlit, stop, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("oidc")]


@pytest.fixture(scope="module")
def oidc_issuer() -> Iterator[str]:
    from oidc_provider_mock import app as provider_app

    server = werkzeug.serving.make_server("127.0.0.1", 0, provider_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="module")
def sso_console_url(tmp_path_factory: pytest.TempPathFactory, oidc_issuer: str) -> Iterator[str]:
    root = tmp_path_factory.mktemp("sso-console")
    port = free_port()
    secrets = root / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "a-long-random-cookie-secret-for-tests-only-0123456789"\n'
        'client_id = "apps-console"\n'
        'client_secret = "test-client-secret"\n'
        f'server_metadata_url = "{oidc_issuer}/.well-known/openid-configuration"\n'
    )
    data_dir = root / "data"
    data_dir.mkdir()
    process, base = start_streamlit(data_dir, port=port, extra_args=("--secrets.files", str(secrets)))
    yield base
    stop(process)


def _sign_in_at_provider(page, console_url: str, email: str) -> None:
    page.goto(console_url)
    wait_idle(page)
    page.get_by_role("button", name="Sign in with SSO").click()
    page.wait_for_selector("input[name='sub']")  # the provider's own sign-in form
    page.fill("input[name='sub']", email)  # the mock uses the subject as the email claim
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{console_url}/**")
    wait_idle(page)


def test_registered_email_lands_on_its_roles_page(page, sso_console_url) -> None:
    email, name = DEMO_USERS["privacy_officer"]
    _sign_in_at_provider(page, sso_console_url, email)
    page.get_by_role("heading", name=landing_page("privacy_officer").title, level=1).wait_for()
    page.get_by_text(f"Signed in as {name} · Privacy officer").wait_for()
    assert page.get_by_label("Password", exact=True).count() == 0  # no local form when SSO is on
    shot(page, "oidc-privacy-officer")


def test_unknown_email_gets_the_no_access_screen(page, sso_console_url) -> None:
    _sign_in_at_provider(page, sso_console_url, "stranger@elsewhere.example")
    page.get_by_text("No access: your email is not registered for this console.").wait_for()
    page.get_by_text("stranger@elsewhere.example").wait_for()
    assert page.locator("[data-testid='stSidebarNav']").count() == 0
    shot(page, "oidc-unknown-email")
