"""An export in a real browser with Stripe configured as in production (STRIPE_API_KEY/STRIPE_API_BASE,
here pointed at a Stripe simulator started by the test that also holds a near match of the subject's
email): the near match stays out of the ZIP and the page says so. The demo's own journeys (export and
deletion across its simulated Stripe and Zendesk) are in test_demo_journeys.py."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator

import pytest

from dashboard.demo.core import DEMO_PASSWORD, DEMO_USERS
from dashboard.simulators.stripe import TEST_KEY, StripeSimulator
from tests.browser.conftest import (
    click_button,
    download,
    open_request_in_progress,
    shot,
    sign_in,
    start_streamlit,
    stop,
)

pytestmark = pytest.mark.browser

EXPORT_EMAIL = "export.journey@example.com"


@pytest.fixture(scope="module")
def fake_stripe_world() -> Iterator[StripeSimulator]:
    fake = StripeSimulator().start()
    price = fake.add_price(fake.add_product("Ticket Tagger"), unit_amount=1500)
    for email in (EXPORT_EMAIL, "export.journey@example.com.evil"):
        customer = fake.add_customer(email=email, name="Journey Person")
        fake.add_paid_invoice(fake.add_subscription(customer, [(price, 1)]), amount=1500)
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory, fake_stripe_world: StripeSimulator) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("exports-console") / "data"
    data_dir.mkdir()
    process, base = start_streamlit(
        data_dir, {"STRIPE_API_KEY": TEST_KEY, "STRIPE_API_BASE": fake_stripe_world.url}
    )
    yield base
    stop(process)


def _open_in_progress_request(page, base: str, kind: str, email: str) -> str:
    sign_in(page, base, DEMO_USERS["privacy_officer"][0], DEMO_PASSWORD)
    request_id = open_request_in_progress(page, kind, "Journey Person", email)
    # Zendesk as a count of its accounts, not each account's name
    page.get_by_text(
        re.compile(r"^Systems searched: The console's store · Stripe · Zendesk \(\d+ accounts?\)$")
    ).wait_for()
    return request_id


def test_build_an_export_and_download_it(console, page, fake_stripe_world) -> None:
    request_id = _open_in_progress_request(page, console, "Access", EXPORT_EMAIL)
    click_button(page, "Build export")
    page.get_by_text(re.compile(r"Export #\d+: complete")).wait_for()  # store, Stripe and demo Zendesk
    shot(page, "exports-1-built")
    button = page.get_by_role("button", name=re.compile(r"Download export #\d+"))
    data = download(page, button).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        customers = archive.read("stripe_customers.csv").decode("utf-8-sig")
    assert manifest["request_id"] == int(request_id)
    assert manifest["sources"]["stripe"]["status"] == "done"
    assert manifest["cut_short"] == {}
    assert manifest["sources"]["zendesk"]["status"] == "done"
    assert EXPORT_EMAIL in customers and ".evil" not in customers  # the near match stays out
    page.get_by_text("1 near match(es) excluded: review").wait_for()
    # named: only the Zendesk accounts the subject was found in
    searched = re.compile(
        r"^Systems searched: .* · Zendesk \((found in \d+ accounts?: .*; )?\d+ accounts? searched"
    )
    page.get_by_text(searched).wait_for()
