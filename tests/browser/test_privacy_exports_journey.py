"""Exports and deletions in a real browser: build an export and download it; plan, confirm and run a
deletion. The console runs on demo data with Stripe pointed at a fake Stripe started here
(STRIPE_API_KEY/STRIPE_API_BASE); no Zendesk connection is configured, which the page must say."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from dashboard.demo.core import DEMO_PASSWORD, DEMO_USERS
from dashboard.simulators.stripe import TEST_KEY, StripeSimulator
from tests.browser.conftest import (
    choose_option,
    click_button,
    download,
    shot,
    sign_in,
    start_streamlit,
    stop,
    wait_idle,
)

pytestmark = pytest.mark.browser

EXPORT_EMAIL = "export.journey@example.com"
DELETION_EMAIL = "deletion.journey@example.com"


@pytest.fixture(scope="module")
def fake_stripe_world() -> Iterator[StripeSimulator]:
    fake = StripeSimulator().start()
    price = fake.add_price(fake.add_product("Ticket Tagger"), unit_amount=1500)
    for email in (EXPORT_EMAIL, DELETION_EMAIL, "export.journey@example.com.evil"):
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
    email_user, _ = DEMO_USERS["privacy_officer"]
    sign_in(page, base, email_user, DEMO_PASSWORD)
    page.get_by_role("link", name="Log a request").click()
    wait_idle(page)
    choose_option(page, "Request type", kind)
    page.get_by_label("Subject's name").fill("Journey Person")
    page.get_by_label("Subject's email").fill(email)
    click_button(page, "Log request")
    logged = page.get_by_text(re.compile(r"Request #\d+ logged\. Due")).inner_text()
    request_id = re.search(r"#(\d+)", logged).group(1)
    click_button(page, f"Open request #{request_id}")
    page.get_by_role("tab", name="Status").click()
    choose_option(page, "New status", "In progress")
    click_button(page, "Change status")
    expect(page.get_by_test_id("stMetric").filter(has_text="Status")).to_contain_text("In progress")
    click_button(page, "Exports and deletions for this request")
    page.get_by_role("heading", name="Exports and deletions").wait_for()
    expect(page).to_have_url(re.compile(f"request={request_id}"))
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


def test_plan_confirm_and_run_a_deletion(console, page, fake_stripe_world) -> None:
    request_id = _open_in_progress_request(page, console, "Deletion", DELETION_EMAIL)
    click_button(page, "Prepare the deletion plan")
    page.get_by_text("subscription(s) are still open").wait_for()
    shot(page, "deletions-1-plan")
    # Confirming waits for the open subscriptions' cancellation to be acknowledged, and says so.
    expect(page.get_by_role("button", name="Confirm the plan", exact=True)).to_be_disabled()
    page.get_by_text("Tick the box above first: deleting the Stripe customer cancels").wait_for()
    page.get_by_text("I confirm that deleting the Stripe customer cancels these subscriptions").click()
    wait_idle(page)
    click_button(page, "Confirm the plan")
    click_button(page, "Run the remaining steps")
    # the button stays while any step waits: gone means every step has run
    expect(page.get_by_role("button", name="Run the remaining steps")).to_have_count(0)
    page.get_by_role("button", name="Download the deletion record (JSON)").wait_for()
    shot(page, "deletions-2-done")
    record = json.loads(
        download(page, page.get_by_role("button", name="Download the deletion record (JSON)")).read_text()
    )
    assert record["request_id"] == int(request_id)
    assert {s["system"]: s["status"] for s in record["steps"]} == {
        "store": "done",
        "stripe": "done",
        "zendesk": "done",  # the demo Zendesk simulator
    }
    deleted = [c for c in fake_stripe_world.store["customers"].values() if c.get("deleted")]
    assert [c["email"] for c in deleted] == [DELETION_EMAIL]
