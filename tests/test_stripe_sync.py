"""Stripe sync against the fake server, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from dashboard.billing.stripe_gateway import StripeGateway
from dashboard.billing.stripe_sync import run_stripe_sync, unlinked_customers
from dashboard.simulators.stripe import StripeSimulator
from models import (
    Account,
    Contact,
    Installation,
    MrrChange,
    StripeCustomer,
    StripeInvoice,
    StripePayment,
    StripeProduct,
    StripeSubscription,
    StripeSubscriptionItem,
    SyncRun,
)

SUBSCRIPTIONS = 260


def _now(fake: StripeSimulator) -> datetime:
    return datetime.fromtimestamp(fake.clock, UTC)


@pytest.fixture
def business(engine: Engine, fake_stripe: StripeSimulator) -> dict:
    """260 subscriptions (3 pages), three customers linkable three different ways, one unlinkable."""
    with Session(engine) as session:
        session.add_all(
            [
                Account(id=1, company_name="Acme", zendesk_subdomain="acme"),
                Account(id=2, company_name="Globex", zendesk_subdomain="globex"),
                Account(id=3, company_name="Initech", zendesk_subdomain="initech"),
            ]
        )
        session.flush()
        session.add(Contact(account_id=2, name="Gina", email="gina@globex.example"))
        session.commit()
    fake = fake_stripe
    product = fake.add_product("Ticket Tagger")
    monthly = fake.add_price(product, unit_amount=1500)
    annual = fake.add_price(product, unit_amount=12000, interval="year")
    coupon = fake.add_coupon(percent_off=20.0)
    by_meta = fake.add_customer(email="billing@acme.example", metadata={"zendesk_subdomain": "acme"})
    by_email = fake.add_customer(email="GINA@globex.example")
    by_install = fake.add_customer(email="ap@initech.example")
    unknown = fake.add_customer(email="who@nowhere.example")
    subs = {
        "meta": fake.add_subscription(by_meta, [(annual, 5)], coupon=coupon),
        "email": fake.add_subscription(by_email, [(monthly, 2)]),
        "install": fake.add_subscription(by_install, [(monthly, 1)]),
        "unknown": fake.add_subscription(unknown, [(monthly, 1)]),
    }
    for n in range(SUBSCRIPTIONS - len(subs)):
        fake.add_subscription(fake.add_customer(email=f"c{n}@example.com"), [(monthly, 1 + n % 3)])
    invoice, charge = fake.add_paid_invoice(subs["email"], amount=3000)
    with Session(engine) as session:
        from models import App

        session.add(App(id=1, slug="tagger", name="Ticket Tagger", stripe_product_id=product["id"]))
        session.flush()
        session.add(Installation(account_id=3, app_id=1, stripe_subscription_id=subs["install"]["id"]))
        session.commit()
    return {
        "subs": subs,
        "customers": {"meta": by_meta, "email": by_email, "install": by_install, "unknown": unknown},
        "invoice": invoice,
        "charge": charge,
        "monthly": monthly,
    }


def _snapshot(engine: Engine) -> dict:
    with Session(engine) as session:
        return {
            model.__name__: sorted(
                repr(sorted(row.model_dump(exclude={"synced_at"}).items()))
                for row in session.exec(select(model))
            )
            for model in (
                StripeCustomer,
                StripeSubscription,
                StripeSubscriptionItem,
                StripeInvoice,
                StripePayment,
                MrrChange,
            )
        }


def test_full_sync_pages_links_and_mrr(
    engine: Engine, fake_stripe: StripeSimulator, stripe_gateway: StripeGateway, business: dict
) -> None:
    result = run_stripe_sync(engine, stripe_gateway, full=True, now=_now(fake_stripe))

    assert result.status == "succeeded", result.error
    assert result.counts["subscriptions"]["created"] == SUBSCRIPTIONS
    assert fake_stripe.calls["GET /v1/subscriptions"] == 3  # 260 objects, pages of 100
    assert fake_stripe.calls["GET /v1/customers"] == 3
    with Session(engine) as session:
        subs = {s.id: s for s in session.exec(select(StripeSubscription))}
        ids = {k: v["id"] for k, v in business["subs"].items()}
        # 5 x 120.00 a year = 50.00 a month, less 20% forever = 40.00
        assert subs[ids["meta"]].mrr == 4000
        assert subs[ids["email"]].mrr == 3000
        assert subs[ids["meta"]].app_id == 1
        assert [subs[ids[k]].account_id for k in ("meta", "email", "install", "unknown")] == [1, 2, 3, None]
        assert [u.id for u in unlinked_customers(session)][:1] == [business["customers"]["unknown"]["id"]]
        payment = session.get(StripePayment, business["charge"]["id"])
        assert (payment.invoice_id, payment.card_brand, payment.card_last4) == (
            business["invoice"]["id"],
            "visa",
            "4242",
        )
        assert session.get(StripeInvoice, business["invoice"]["id"]).subscription_id == ids["email"]
        assert session.exec(select(func.count()).select_from(MrrChange)).one() == SUBSCRIPTIONS
        run = session.get(SyncRun, result.run_id)
        assert run.status == "succeeded" and run.counts["customers"]["created"] == SUBSCRIPTIONS


def test_second_sync_changes_nothing(
    engine: Engine, fake_stripe: StripeSimulator, stripe_gateway: StripeGateway, business: dict
) -> None:
    run_stripe_sync(engine, stripe_gateway, full=True, now=_now(fake_stripe))
    before = _snapshot(engine)
    again = run_stripe_sync(engine, stripe_gateway, full=True, now=_now(fake_stripe))
    assert again.status == "succeeded"
    assert all(c["created"] == c["updated"] == c["deleted"] == 0 for c in again.counts.values())
    assert _snapshot(engine) == before
    incremental = run_stripe_sync(engine, stripe_gateway, now=_now(fake_stripe))
    assert incremental.kind == "stripe_incremental" and incremental.counts["events"]["seen"] == 0
    assert _snapshot(engine) == before


def test_incremental_updates_and_deletions(
    engine: Engine, fake_stripe: StripeSimulator, stripe_gateway: StripeGateway, business: dict
) -> None:
    run_stripe_sync(engine, stripe_gateway, full=True, now=_now(fake_stripe))
    fake = fake_stripe
    fake.clock += 86400 * 3
    upgraded = business["subs"]["email"]
    items = upgraded["items"]
    items["data"][0]["quantity"] = 4
    fake.update("subscriptions", upgraded["id"], "customer.subscription.updated", items=items)
    canceled = business["subs"]["install"]
    fake.update(
        "subscriptions",
        canceled["id"],
        "customer.subscription.deleted",
        status="canceled",
        canceled_at=fake.clock,
        ended_at=fake.clock,
    )
    fake.delete("customers", business["customers"]["unknown"]["id"])
    newcomer = fake.add_customer(email="new@example.com")
    fake.emit("customer.created", newcomer)
    calls_before = fake.total_calls

    result = run_stripe_sync(engine, stripe_gateway, now=_now(fake))

    assert result.kind == "stripe_incremental" and result.status == "succeeded", result.error
    assert fake.total_calls - calls_before == 1 + 3  # one events page + one retrieve per touched object
    day = _now(fake).date()
    with Session(engine) as session:
        assert session.get(StripeSubscription, upgraded["id"]).mrr == 6000
        assert session.get(StripeSubscription, canceled["id"]).status == "canceled"
        assert session.get(StripeSubscription, canceled["id"]).mrr == 0
        assert session.get(StripeCustomer, business["customers"]["unknown"]["id"]).deleted is True
        assert session.get(StripeCustomer, newcomer["id"]).email == "new@example.com"
        changes = session.exec(
            select(MrrChange).where(MrrChange.effective_on == day).order_by(MrrChange.mrr)
        ).all()
        assert [(c.subscription_id, c.mrr) for c in changes] == [(canceled["id"], 0), (upgraded["id"], 6000)]
    before = _snapshot(engine)
    assert run_stripe_sync(engine, stripe_gateway, now=_now(fake)).counts.get("events", {}).get("seen") == 0
    assert _snapshot(engine) == before


def test_full_sync_reflects_deletions(
    engine: Engine, fake_stripe: StripeSimulator, stripe_gateway: StripeGateway, business: dict
) -> None:
    run_stripe_sync(engine, stripe_gateway, full=True, now=_now(fake_stripe))
    fake_stripe.store["customers"].pop(business["customers"]["unknown"]["id"])
    product = next(iter(fake_stripe.store["products"]))
    fake_stripe.store["products"][product]["deleted"] = True
    result = run_stripe_sync(engine, stripe_gateway, full=True, now=_now(fake_stripe))
    assert result.counts["customers"]["deleted"] == 1 and result.counts["products"]["deleted"] == 1
    with Session(engine) as session:
        assert session.get(StripeCustomer, business["customers"]["unknown"]["id"]).deleted
        assert session.get(StripeProduct, product).deleted


def test_500_then_success_is_retried(
    engine: Engine, fake_stripe: StripeSimulator, stripe_gateway: StripeGateway, business: dict
) -> None:
    fake_stripe.fail_next(r"GET /v1/subscriptions$", status=500)
    fake_stripe.fail_next(r"GET /v1/invoices$", status=429)
    result = run_stripe_sync(engine, stripe_gateway, full=True, now=_now(fake_stripe))
    assert result.status == "succeeded"
    assert fake_stripe.calls["GET /v1/subscriptions"] == 4
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(StripeSubscription)).one() == SUBSCRIPTIONS


def test_bad_key_fails_cleanly(engine: Engine, fake_stripe: StripeSimulator, business: dict) -> None:
    gateway = StripeGateway("sk_test_revoked", api_base=fake_stripe.url, max_network_retries=1)
    result = run_stripe_sync(engine, gateway, full=True, now=_now(fake_stripe))
    assert result.status == "failed"
    assert "API key" in result.error
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(StripeCustomer)).one() == 0
        run = session.get(SyncRun, result.run_id)
        assert (run.status, run.error, run.finished_at is not None) == ("failed", result.error, True)


def test_failure_mid_run_leaves_whole_pages_only(
    engine: Engine, fake_stripe: StripeSimulator, stripe_gateway: StripeGateway, business: dict
) -> None:
    fake_stripe.fail_next(r"GET /v1/subscriptions$", status=500, times=3, after=1)  # page 2 fails for good
    result = run_stripe_sync(engine, stripe_gateway, full=True, now=_now(fake_stripe))
    assert result.status == "failed" and "500" in result.error
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(StripeSubscription)).one() == 100
        assert session.exec(select(func.count()).select_from(StripeSubscriptionItem)).one() == 100
    no_cursor_yet = run_stripe_sync(engine, stripe_gateway, now=_now(fake_stripe))
    assert no_cursor_yet.kind == "stripe_full" and no_cursor_yet.status == "succeeded"


def test_old_cursor_falls_back_to_full(
    engine: Engine, fake_stripe: StripeSimulator, stripe_gateway: StripeGateway, business: dict
) -> None:
    run_stripe_sync(engine, stripe_gateway, full=True, now=_now(fake_stripe))
    later = _now(fake_stripe) + timedelta(days=31)
    result = run_stripe_sync(engine, stripe_gateway, now=later)
    assert result.kind == "stripe_full" and "30 days" in result.message
