"""The demo with its simulated Stripe and Zendesk: every action the README promises works in the console.

The small demo is seeded into the test store, the two simulators are filled from it (as the console does
on the demo store, dashboard/ui/demo_systems.py) and the pages are driven under AppTest as the demo's own
users: refund, credit note, discount, quantity, void, approval, both syncs, an export and a deletion.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from dashboard.access.identity import Actor
from dashboard.core.settings import Settings, reset_settings_cache
from dashboard.simulators.demo import (
    DEMO_STRIPE_KEY,
    DEMO_ZENDESK_EMAIL,
    DEMO_ZENDESK_TOKEN,
    DemoSystems,
    start_demo_systems,
    stripe_from_store,
    zendesk_from_store,
)
from dashboard.simulators.stripe import StripeSimulator
from dashboard.simulators.zendesk import ZendeskSimulator
from models import (
    Account,
    BillingCorrection,
    Contact,
    DataExport,
    Installation,
    PrivacyRequestStep,
    StripeCustomer,
    StripeInvoice,
    StripePayment,
    StripeRefund,
    StripeSubscription,
    StripeSubscriptionItem,
    SyncRun,
    User,
    ZendeskConnection,
)
from tests.demo_template import DemoTemplates
from tests.privacy_world import Person, open_request

CORRECTIONS = "app_pages/corrections.py"


@dataclass
class Demo:
    engine: Engine
    stripe: StripeSimulator
    zendesk: ZendeskSimulator

    def actor(self, email: str) -> Actor:
        with Session(self.engine) as session:
            user = session.exec(select(User).where(User.email == email)).one()
            return Actor(user.email, user.role, user.id, user.name)


@pytest.fixture
def demo(
    engine: Engine, app_env: Engine, monkeypatch: pytest.MonkeyPatch, demo_templates: DemoTemplates
) -> Iterator[Demo]:
    demo_templates.seed(engine)
    stripe_sim, zendesk_sim = stripe_from_store(engine).start(), zendesk_from_store(engine).start()
    monkeypatch.setenv("STRIPE_API_KEY", DEMO_STRIPE_KEY)
    monkeypatch.setenv("STRIPE_API_BASE", stripe_sim.url)
    monkeypatch.setenv("STRIPE_MAX_NETWORK_RETRIES", "0")
    monkeypatch.setenv("ZENDESK_API_BASE", zendesk_sim.base_url)
    reset_settings_cache()
    yield Demo(engine, stripe_sim, zendesk_sim)
    stripe_sim.stop()
    zendesk_sim.stop()


def errors_of(at) -> list[str]:
    return [e.value for e in at.error]


def correct(run_page, demo: Demo, actor: Actor, account_id: int, kind: str, target: str, **fields):
    """Fill the corrections form for `target` and submit it; returns the AppTest after the run."""
    at = run_page(CORRECTIONS, actor, query={"account": str(account_id)})
    with Session(demo.engine) as session:
        subdomain = session.get(Account, account_id).zendesk_subdomain
    at.text_input(key="corr_search").set_value(subdomain).run()
    at.selectbox(key="corr_account").set_value(account_id).run()
    at.selectbox(key="corr_kind").set_value(kind).run()
    at.selectbox(key="corr_target").set_value(target).run()
    assert not at.exception and not errors_of(at), errors_of(at)
    for key, value in fields.items():
        widget = at.number_input(key=key) if key == "corr_quantity" else None
        if widget is None:
            widget = at.radio(key=key) if key in ("corr_outcome", "corr_duration") else at.text_input(key=key)
        widget.set_value(value)
    at.selectbox(key="corr_reason_category").set_value("billing_error")
    at.text_area(key="corr_reason_text").set_value("Tried on the demo")
    at = at.button(key="corr_submit").click().run()
    assert not at.exception and not errors_of(at), errors_of(at)
    assert any("executed" in s.value for s in at.success), [s.value for s in at.success]
    return at


def linked(session: Session, model, *where):
    """(account id, object) of the first object matching `where` whose customer belongs to an account."""
    row = session.exec(
        select(StripeCustomer.account_id, model)
        .join(StripeCustomer, col(StripeCustomer.id) == col(model.customer_id))
        .where(col(StripeCustomer.account_id).is_not(None), *where)
        .order_by(model.id)
    ).first()
    assert row is not None
    return row


def test_billing_corrections_go_to_the_demo_stripe(session: Session, run_page, demo: Demo) -> None:
    manager = demo.actor("am@demo.example")
    account_id, payment = linked(session, StripePayment, StripePayment.amount_refunded == 0)
    correct(run_page, demo, manager, account_id, "refund", payment.id, corr_amount="1.00")
    refunds = [r for r in demo.stripe.store["refunds"].values() if r["charge"] == payment.id]
    assert [r["amount"] for r in refunds] == [100]

    account_id, invoice = linked(session, StripeInvoice, StripeInvoice.status == "paid")
    correct(
        run_page,
        demo,
        manager,
        account_id,
        "credit_note",
        invoice.id,
        corr_amount="1.00",
        corr_outcome="out_of_band",
    )
    notes = [n for n in demo.stripe.store["credit_notes"].values() if n["invoice"] == invoice.id]
    assert [n["amount"] for n in notes if n["id"].startswith("cn_fake")] == [100]

    account_id, sub = linked(session, StripeSubscription, StripeSubscription.status == "active")
    correct(run_page, demo, manager, account_id, "apply_discount", sub.id, corr_percent="10")
    discounts = demo.stripe.store["subscriptions"][sub.id]["discounts"]
    assert any(demo.stripe.store["discounts"][d]["source"]["coupon"]["percent_off"] == 10 for d in discounts)

    quantity = session.exec(
        select(StripeSubscriptionItem.quantity).where(StripeSubscriptionItem.subscription_id == sub.id)
    ).one()
    correct(run_page, demo, manager, account_id, "change_quantity", sub.id, corr_quantity=quantity + 1)
    assert demo.stripe.store["subscriptions"][sub.id]["items"]["data"][0]["quantity"] == quantity + 1

    account_id, open_invoice = linked(session, StripeInvoice, StripeInvoice.status == "open")
    correct(run_page, demo, manager, account_id, "void_invoice", open_invoice.id)
    assert demo.stripe.store["invoices"][open_invoice.id]["status"] == "void"


def test_a_waiting_demo_correction_is_approved_and_sent(session: Session, run_page, demo: Demo) -> None:
    waiting = session.exec(
        select(BillingCorrection)
        .where(BillingCorrection.status == "pending_approval")
        .order_by(BillingCorrection.id)
    ).all()
    assert waiting, "the demo has corrections waiting for approval"
    admin = demo.actor("admin@demo.example")
    at = run_page("app_pages/correction_approvals.py", admin)
    for correction in waiting:
        at.text_input(key=f"decision_{correction.id}").set_value("Checked on the demo")
        at = at.button(key=f"approve_{correction.id}").click().run()
        assert not at.exception and not errors_of(at), errors_of(at)
    session.expire_all()
    statuses = [session.get(BillingCorrection, c.id).status for c in waiting]
    assert statuses == ["executed"] * len(waiting)


def mirror_counts(session: Session) -> dict[str, int]:
    models = (StripeCustomer, StripeSubscription, StripeInvoice, StripePayment, StripeRefund)
    return {m.__name__: session.exec(select(func.count()).select_from(m)).one() for m in models}


def test_both_syncs_keep_the_demo_mirror_and_installations(session: Session, run_page, demo: Demo) -> None:
    before = mirror_counts(session)
    installations = session.exec(
        select(Installation.zendesk_installation_id, Installation.state).order_by(Installation.id)
    ).all()
    admin = demo.actor("admin@demo.example")
    at = run_page("app_pages/sync.py", admin)
    at.checkbox(key="stripe_full").check()
    at = at.button(key="stripe_sync_now").click().run(timeout=120)
    assert not at.exception, at.exception
    at = at.button(key="zendesk_sync_now").click().run(timeout=120)
    assert not at.exception, at.exception
    session.expire_all()
    runs = {r.kind: r for r in session.exec(select(SyncRun)).all()}
    assert {kind: runs[kind].status for kind in ("stripe_full", "zendesk")} == {
        "stripe_full": "succeeded",
        "zendesk": "succeeded",
    }, {kind: (r.status, r.error) for kind, r in runs.items()}
    assert mirror_counts(session) == before
    assert (
        runs["zendesk"].counts["totals"]["accounts"]
        == session.exec(select(func.count()).select_from(ZendeskConnection)).one()
    )
    # the demo's Zendesk reports the installations as the store holds them: nothing new, changed or gone
    totals = runs["zendesk"].counts["totals"]
    assert (totals["created"], totals["updated"], totals["uninstalled"]) == (0, 0, 0), totals
    assert totals["kept"] > 0
    after = session.exec(
        select(Installation.zendesk_installation_id, Installation.state).order_by(Installation.id)
    ).all()
    assert after == installations


def demo_subject(session: Session, demo: Demo) -> Person:
    """A primary contact present in all three systems: the store, the demo Stripe, the demo Zendesk."""
    emails = {c["email"] for c in demo.stripe.store["customers"].values()}
    zendesk_emails = {
        u["email"] for account in demo.zendesk.accounts.values() for u in account.records.get("users", [])
    }
    ticketed = {
        u["id"]: u["email"]
        for account in demo.zendesk.accounts.values()
        for u in account.records.get("users", [])
        if any(t["requester_id"] == u["id"] for t in account.records.get("tickets", []))
    }
    for contact in session.exec(select(Contact).where(Contact.is_primary).order_by(Contact.id)).all():
        if contact.email in emails and contact.email in zendesk_emails and contact.email in ticketed.values():
            return Person(name=contact.name, email=contact.email, marker="", contact_id=contact.id or 0)
    raise AssertionError("no demo contact is in all three systems")


def test_export_and_deletion_reach_all_three_demo_systems(session: Session, run_page, demo: Demo) -> None:
    officer = demo.actor("privacy@demo.example")
    person = demo_subject(session, demo)
    request = open_request(session, officer, person)
    session.commit()
    at = run_page("app_pages/privacy_exports.py", officer, query={"request": str(request.id)})
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    next(b for b in at.button if b.label == "Build export").click()
    at.run(timeout=120)
    assert not at.exception, at.exception
    session.expire_all()
    export = session.exec(select(DataExport).where(DataExport.request_id == request.id)).one()
    assert export.status == "complete", export.incomplete_reason
    assert export.sources["stripe"]["counts"]["stripe_customers"] == 1
    assert export.sources["zendesk"]["counts"]["zendesk_tickets"] >= 1

    deletion = open_request(session, officer, person, type="deletion")
    session.commit()
    at = run_page("app_pages/privacy_exports.py", officer, query={"request": str(deletion.id)})
    next(b for b in at.button if b.label == "Prepare the deletion plan").click()
    at.run(timeout=120)
    for box in at.checkbox:
        if box.key and box.key.startswith("confirm_"):
            box.check()
    at.run()  # "Confirm the plan" is enabled once the open subscriptions' cancellation is confirmed
    next(b for b in at.button if b.label == "Confirm the plan").click()
    at.run()
    next(b for b in at.button if b.label == "Run the remaining steps").click()
    at.run(timeout=120)
    assert not at.exception, at.exception
    session.expire_all()
    steps = session.exec(select(PrivacyRequestStep).where(PrivacyRequestStep.request_id == deletion.id)).all()
    assert {(s.system, s.status) for s in steps} == {
        ("store", "done"),
        ("stripe", "done"),
        ("zendesk", "done"),
    }
    customers = [c for c in demo.stripe.store["customers"].values() if c["email"] == person.email]
    assert customers and all(c.get("deleted") for c in customers)


# -- what was done in the simulators survives a restart (dashboard/simulators/snapshots.py) ----------


def _demo_settings(tmp_path: Path) -> Settings:
    return Settings(database_url="", data_dir=tmp_path, stripe_api_key=None, zendesk_api_base=None)


def _send(url: str, method: str, headers: dict[str, str], form: dict[str, str] | None = None) -> dict:
    data = urlencode(form).encode() if form is not None else None
    with urlopen(Request(url, data=data, headers=headers, method=method), timeout=10) as answer:
        return json.loads(answer.read())


def _refund(systems: DemoSystems, charge_id: str, amount: int) -> dict:
    headers = {"Authorization": f"Bearer {DEMO_STRIPE_KEY}", "Idempotency-Key": f"refund-{charge_id}"}
    form = {"charge": charge_id, "amount": str(amount)}
    return _send(f"{systems.stripe.url}/v1/refunds", "POST", headers, form)


def _zendesk_delete(systems: DemoSystems, subdomain: str, user_id: int) -> None:
    token = base64.b64encode(f"{DEMO_ZENDESK_EMAIL}/token:{DEMO_ZENDESK_TOKEN}".encode()).decode()
    url = f"{systems.zendesk.base_url}/_sub/{subdomain}/api/v2/users/{user_id}.json"
    _send(url, "DELETE", {"Authorization": f"Basic {token}"})


def _started(engine: Engine, settings: Settings) -> DemoSystems:
    systems = start_demo_systems(engine, settings)
    assert systems.stripe is not None and systems.zendesk is not None
    systems.stripe.ready.wait(60)
    return systems


@pytest.fixture
def demo_store(engine: Engine, demo_templates: DemoTemplates) -> Engine:
    demo_templates.seed(engine)
    return engine


def test_a_restarted_demo_console_still_shows_what_was_done_in_its_simulators(
    demo_store: Engine, session: Session, tmp_path: Path
) -> None:
    settings = _demo_settings(tmp_path)
    _, payment = linked(session, StripePayment, StripePayment.amount_refunded == 0)
    systems = _started(demo_store, settings)
    refund = _refund(systems, payment.id, 100)
    subdomain, zendesk = next(iter(systems.zendesk.accounts.items()))
    user = zendesk.records["users"][-1]
    _zendesk_delete(systems, subdomain, user["id"])
    systems.stop()
    assert (tmp_path / "simulators" / "stripe.json").stat().st_mode & 0o777 == 0o600

    again = _started(demo_store, settings)
    try:
        assert again.stripe.store["refunds"][refund["id"]]["amount"] == 100
        assert again.stripe.store["charges"][payment.id]["amount_refunded"] == 100
        assert user["id"] not in [u["id"] for u in again.zendesk.accounts[subdomain].records["users"]]
        assert [u["id"] for u in again.zendesk.accounts[subdomain].records["deleted_users"]] == [user["id"]]
        # the same idempotency key is answered from what Stripe kept, not refunded twice
        assert _refund(again, payment.id, 100)["id"] == refund["id"]
        assert len([r for r in again.stripe.store["refunds"].values() if r["charge"] == payment.id]) == 1
        new = again.stripe.make("refund")
        assert new["id"] not in again.stripe.store["refunds"]  # new ids go on after the saved ones
    finally:
        again.stop()


def test_a_corrupt_or_foreign_snapshot_is_refused_and_the_demo_store_refills(
    demo_store: Engine, session: Session, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _demo_settings(tmp_path)
    _, payment = linked(session, StripePayment, StripePayment.amount_refunded == 0)
    systems = _started(demo_store, settings)
    refund = _refund(systems, payment.id, 100)
    systems.stop()
    snapshot = tmp_path / "simulators" / "stripe.json"
    saved = json.loads(snapshot.read_text())

    snapshot.write_text(snapshot.read_text()[:-40])  # cut short
    with caplog.at_level(logging.WARNING, logger="dashboard.simulators.snapshots"):
        again = _started(demo_store, settings)
    again.stop()
    assert refund["id"] not in again.stripe.store["refunds"]
    assert again.stripe.store["charges"][payment.id]["amount_refunded"] == 0  # as the demo store has it
    assert f"Demo stripe snapshot {snapshot} refused: it cannot be read" in caplog.text

    caplog.clear()
    snapshot.write_text(json.dumps({**saved, "store": "another seeding"}))
    with caplog.at_level(logging.WARNING, logger="dashboard.simulators.snapshots"):
        again = _started(demo_store, settings)
    again.stop()
    assert refund["id"] not in again.stripe.store["refunds"]
    assert "refused: it was taken of another seeding of the demo store" in caplog.text

    caplog.clear()
    garbled = {**saved, "state": {**saved["state"], "objects": {"refunds": {"re_x": {"id": "other"}}}}}
    snapshot.write_text(json.dumps(garbled))
    with caplog.at_level(logging.WARNING, logger="dashboard.simulators.snapshots"):
        again = _started(demo_store, settings)
    again.stop()
    assert "re_x" not in again.stripe.store["refunds"] and refund["id"] not in again.stripe.store["refunds"]
    assert "refused: its state does not fit" in caplog.text
