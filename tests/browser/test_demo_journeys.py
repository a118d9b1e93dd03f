"""Each role's day on the demo exactly as `./scripts/start` runs it: the console's own simulated Stripe
and Zendesk, no keys. The account manager refunds part of a payment from Account 360; the privacy
officer builds an export for a customer's contact, downloads it, then plans and runs the deletion.

What lands in the simulators is read from their snapshots under DATA_DIR/simulators (written after
each change), what lands in the store from its SQLite file. Each journey's wall time is written to
test-artifacts/journey-times.txt.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from dashboard.core.bootstrap import prepare_store
from dashboard.core.db import make_engine
from dashboard.core.money import format_money
from dashboard.core.settings import Settings
from dashboard.demo.core import DEMO_PASSWORD, DEMO_USERS
from dashboard.simulators.demo import stripe_from_store, zendesk_from_store
from models import (
    AuditEvent,
    BillingCorrection,
    Contact,
)
from tests.browser.conftest import (
    ARTIFACTS,
    DemoPayment,
    choose_option,
    click_button,
    download,
    open_request_in_progress,
    shot,
    sign_in,
    start_streamlit,
    stop,
    untouched_demo_payment,
    wait_idle,
)


@dataclass(frozen=True)
class DemoSubject:
    name: str
    email: str


@dataclass(frozen=True)
class Demo:
    base: str
    data_dir: Path
    payment: DemoPayment
    subject: DemoSubject

    def store(self) -> Session:
        return Session(make_engine(f"sqlite:///{self.data_dir / 'console.sqlite3'}"))

    def simulator_objects(self, system: str, resource: str) -> dict[str, dict]:
        """What the demo simulator changed since its fill (its snapshot), by id."""
        snapshot = json.loads((self.data_dir / "simulators" / f"{system}.json").read_text())
        return snapshot["state"]["objects"].get(resource, {})


def _subject_in_all_three_systems(session: Session, engine) -> DemoSubject:
    """A primary contact the demo's Stripe has as a customer and its Zendesk as a ticket requester."""
    stripe = stripe_from_store(engine)
    zendesk = zendesk_from_store(engine)
    customers = {c["email"] for c in stripe.store["customers"].values()}
    requesters = {
        user["email"]
        for account in zendesk.accounts.values()
        for user in account.records.get("users", [])
        if any(t["requester_id"] == user["id"] for t in account.records.get("tickets", []))
    }
    for contact in session.exec(select(Contact).where(Contact.is_primary).order_by(Contact.id)):
        if contact.email in customers and contact.email in requesters:
            return DemoSubject(contact.name, contact.email)
    raise AssertionError("no demo contact is in all three systems")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    data_dir = tmp_path_factory.mktemp("demo-journeys") / "data"
    data_dir.mkdir()
    engine = prepare_store(Settings(data_dir=data_dir))  # what the console's first start does
    with Session(engine) as session:
        payment = untouched_demo_payment(session, DEMO_USERS["account_manager"][0])
        subject = _subject_in_all_three_systems(session, engine)
    engine.dispose()
    process, base = start_streamlit(data_dir)  # no Stripe key, no Zendesk base: the demo simulators
    yield Demo(base, data_dir, payment, subject)
    stop(process)


@pytest.fixture
def timed(request: pytest.FixtureRequest) -> Iterator[None]:
    started = time.monotonic()
    yield
    line = f"{request.node.name}: {time.monotonic() - started:.1f} s\n"
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / "journey-times.txt").open("a") as times:
        times.write(line)
    print(line, end="")


def _csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_account_manager_refunds_part_of_a_payment_from_account_360(demo: Demo, page, timed) -> None:
    payment = demo.payment
    sign_in(page, demo.base, *_credentials("account_manager"))
    page.get_by_role("heading", name="My accounts", level=1).wait_for()
    page.goto(f"{demo.base}/account?id={payment.account_id}")
    wait_idle(page)
    page.get_by_role("tab", name="Billing").click()
    choose_option(page, "What to correct", re.compile(re.escape(payment.id)), typed=payment.id)
    shot(page, "journey-am-1-account-billing")
    click_button(page, "Refund a payment")
    page.wait_for_url(re.compile(rf"/corrections\?.*target={re.escape(payment.id)}"))
    wait_idle(page)
    page.get_by_text("refundable").first.wait_for()

    quarter = payment.amount // 4
    page.get_by_role("textbox", name=re.compile(r"^Amount")).fill(f"{quarter // 100}.{quarter % 100:02d}")
    choose_option(page, "Reason category", "Service problem")
    page.get_by_role("textbox", name="Reason").fill("Their Zendesk was down for a week; a quarter back.")
    click_button(page, "Preview")
    page.get_by_text("Amount:").first.wait_for()
    shot(page, "journey-am-2-preview")
    page.get_by_role("button", name=f"Refund {format_money(quarter, payment.currency)}").click()
    wait_idle(page)
    page.get_by_text(re.compile(r"Correction #\d+: executed")).wait_for()
    shot(page, "journey-am-3-executed")

    refunds = [r for r in demo.simulator_objects("stripe", "refunds").values() if r["charge"] == payment.id]
    assert [r["amount"] for r in refunds] == [quarter]  # one refund in the demo Stripe, of that amount
    with demo.store() as session:
        [correction] = session.exec(
            select(BillingCorrection).where(BillingCorrection.payment_id == payment.id)
        )
        assert (correction.status, correction.stripe_result_id) == ("executed", refunds[0]["id"])
        audited = session.exec(
            select(AuditEvent.action).where(
                AuditEvent.target_type == "billing_correction", AuditEvent.target_id == str(correction.id)
            )
        ).all()
    assert "correction.executed" in audited, audited

    click_button(page, "Open the updated account")
    page.wait_for_url(re.compile(rf"/account\?id={payment.account_id}$"))
    wait_idle(page)
    panel = page.get_by_role("tabpanel", name="Timeline")
    timeline = _csv_rows(download(page, panel.get_by_role("button", name="Download CSV")))
    what = " ".join(" ".join(row.values()) for row in timeline[:10])
    assert refunds[0]["id"] in what and f"#{correction.id}" in what, timeline[:10]
    shot(page, "journey-am-4-timeline")


def _credentials(role: str) -> tuple[str, str]:
    return DEMO_USERS[role][0], DEMO_PASSWORD


def test_privacy_officer_exports_then_deletes_a_customers_contact(demo: Demo, page, timed) -> None:
    sign_in(page, demo.base, *_credentials("privacy_officer"))
    request_id = open_request_in_progress(page, "Access", demo.subject.name, demo.subject.email)
    click_button(page, "Build export")
    page.get_by_text(re.compile(r"Export #\d+: complete")).wait_for()
    shot(page, "journey-po-1-export-built")
    data = download(page, page.get_by_role("button", name=re.compile(r"Download export #\d+"))).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        readme = archive.read("README.txt").decode()
        customers = archive.read("stripe_customers.csv").decode("utf-8-sig")
    assert manifest["request_id"] == int(request_id)
    assert {name: part["status"] for name, part in manifest["sources"].items()} == {
        "store": "done",
        "stripe": "done",
        "zendesk": "done",
    }
    assert demo.subject.email in customers
    assert any(name.startswith("zendesk_") for name in names), names
    # Written for the data subject: what each system holds about them, nothing of the console's setup.
    assert readme.startswith(f"Your personal data (privacy request #{request_id})"), readme
    assert {line for line in readme.splitlines() if line.startswith("== ")} == {
        "== The console's store ==",
        "== Stripe ==",
        "== Zendesk ==",
    }, readme
    assert "- contact.csv (1 record): Your contact details" in readme, readme
    assert not re.search(r"STRIPE_API_KEY|ZENDESK_API|token|NOT INCLUDED", readme), readme

    deletion_id = open_request_in_progress(page, "Deletion", demo.subject.name, demo.subject.email)
    click_button(page, "Prepare the deletion plan")
    # The customer still pays for subscriptions: confirming waits until their cancellation is ticked.
    confirm = page.get_by_role("button", name="Confirm the plan", exact=True)
    expect(confirm).to_be_disabled()
    shot(page, "journey-po-2-deletion-plan")
    page.get_by_text("I confirm that deleting the Stripe customer cancels these subscriptions").click()
    expect(confirm).to_be_enabled()  # one button all along: the plan's status keeps its place when gone
    click_button(page, "Confirm the plan")
    click_button(page, "Run the remaining steps")
    expect(page.get_by_role("button", name="Run the remaining steps")).to_have_count(0)
    record_button = page.get_by_role("button", name="Download the deletion record (JSON)")
    record = json.loads(download(page, record_button).read_text())
    shot(page, "journey-po-3-deleted")
    assert record["request_id"] == int(deletion_id)
    assert {s["system"]: s["status"] for s in record["steps"]} == {
        "store": "done",
        "stripe": "done",
        "zendesk": "done",
    }
    deleted = [c for c in demo.simulator_objects("stripe", "customers").values() if c.get("deleted")]
    assert {c["email"] for c in deleted} == {demo.subject.email}
