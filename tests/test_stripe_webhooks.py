"""The webhook receiver: signed deliveries applied through the Events sync's code, replays and
concurrent copies stored once, bad signatures refused with nothing written, stale events left alone."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from dashboard.billing.stripe_gateway import StripeGateway
from dashboard.billing.stripe_sync import run_stripe_sync
from dashboard.billing.webhook_app import create_app
from dashboard.core import clock
from dashboard.simulators.stripe import StripeSimulator
from models import StripeSubscription, StripeSubscriptionItem, StripeWebhookEvent

SECRET = "whsec_test_" + "k" * 24


def _sign(payload: bytes, secret: str = SECRET, at: int | None = None) -> str:
    at = at if at is not None else clock.epoch_seconds()
    digest = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def _post(client: TestClient, event: dict, **sign) -> tuple[int, dict]:
    payload = json.dumps(event).encode()
    response = client.post(
        "/stripe/webhook", content=payload, headers={"Stripe-Signature": _sign(payload, **sign)}
    )
    return response.status_code, response.json()


@pytest.fixture
def world(engine: Engine, fake_stripe: StripeSimulator, stripe_gateway: StripeGateway):
    fake = fake_stripe
    product = fake.add_product("Ticket Tagger")
    monthly = fake.add_price(product, unit_amount=1500)
    sub = fake.add_subscription(fake.add_customer(email="a@example.com"), [(monthly, 1)])
    run_stripe_sync(engine, stripe_gateway, full=True, now=datetime.fromtimestamp(fake.clock, UTC))
    fake.clock += 60
    client = TestClient(create_app(engine, stripe_gateway, SECRET))
    return fake, sub, client


def _update(fake: StripeSimulator, *args, **changes) -> dict:
    """Change an object in the fake and return the event it emitted (what Stripe would deliver)."""
    fake.update(*args, **changes)
    return list(fake.store["events"].values())[-1]


def _quantity(engine: Engine, sub_id: str) -> int:
    with Session(engine) as session:
        return session.exec(
            select(StripeSubscriptionItem.quantity).where(StripeSubscriptionItem.subscription_id == sub_id)
        ).one()


def _stored(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return [
            (e.id, e.status) for e in session.exec(select(StripeWebhookEvent).order_by(StripeWebhookEvent.id))
        ]


def test_a_signed_event_is_applied_once_and_a_replay_changes_nothing(engine: Engine, world) -> None:
    fake, sub, client = world
    items = sub["items"]
    items["data"][0]["quantity"] = 3
    event = _update(fake, "subscriptions", sub["id"], "customer.subscription.updated", items=items)
    calls = fake.total_calls
    assert _post(client, event) == (200, {"received": True, "id": event["id"], "outcome": "applied"})
    assert fake.total_calls - calls == 1  # the subscription fetched once, in its current state
    assert _quantity(engine, sub["id"]) == 3
    with Session(engine) as session:
        assert session.get(StripeSubscription, sub["id"]).mrr == 4500  # 3 x 15.00
    calls = fake.total_calls
    assert _post(client, event)[1]["outcome"] == "duplicate"
    assert fake.total_calls == calls
    assert _stored(engine) == [(event["id"], "applied")]


def test_bad_signatures_are_refused_and_nothing_is_written(engine: Engine, world) -> None:
    fake, sub, client = world
    event = _update(fake, "subscriptions", sub["id"], "customer.subscription.updated", status="past_due")
    calls = fake.total_calls
    for sign in ({"secret": "whsec_wrong"}, {"at": clock.epoch_seconds() - 3600}):  # wrong key, too old
        status, body = _post(client, event, **sign)
        assert status == 400 and body == {"error": "The Stripe signature does not match."}
    payload = json.dumps(event).encode()
    tampered = payload.replace(b"past_due", b"canceled")
    response = client.post("/stripe/webhook", content=tampered, headers={"Stripe-Signature": _sign(payload)})
    assert response.status_code == 400
    assert client.post("/stripe/webhook", content=payload).status_code == 400  # no header at all
    assert _stored(engine) == [] and fake.total_calls == calls
    with Session(engine) as session:
        assert session.get(StripeSubscription, sub["id"]).status == "active"


def test_events_older_than_the_mirror_are_left_alone(engine: Engine, world) -> None:
    fake, sub, client = world
    # Out of order: the newer event arrives first, then an older one for the same subscription.
    older = _update(fake, "subscriptions", sub["id"], "customer.subscription.updated", status="past_due")
    fake.clock += 30
    newer = _update(fake, "subscriptions", sub["id"], "customer.subscription.updated", status="active")
    assert _post(client, newer)[1]["outcome"] == "applied"
    calls = fake.total_calls
    assert _post(client, older)[1]["outcome"] == "stale"
    assert fake.total_calls == calls  # nothing fetched
    with Session(engine) as session:
        assert session.get(StripeSubscription, sub["id"]).status == "active"
    # An event from before the poller's cursor (the full sync above already mirrored its result).
    ancient = {**older, "id": "evt_ancient", "created": older["created"] - 3600}
    assert _post(client, ancient)[1]["outcome"] == "stale"
    # A type the mirror does not keep is recorded and ignored.
    other = {**older, "id": "evt_other", "type": "payout.paid"}
    assert _post(client, other)[1]["outcome"] == "ignored"
    assert dict(_stored(engine)) == {
        newer["id"]: "applied",
        older["id"]: "stale",
        "evt_ancient": "stale",
        "evt_other": "ignored",
    }


def test_a_failed_apply_answers_500_and_is_retried(engine: Engine, world) -> None:
    fake, sub, client = world
    event = _update(fake, "subscriptions", sub["id"], "customer.subscription.updated", status="past_due")
    fake.fail_next(r"/v1/subscriptions/", status=400, times=1)
    status, _ = _post(client, event)
    assert status == 500 and _stored(engine) == [(event["id"], "failed")]
    assert _post(client, event)[1]["outcome"] == "applied"  # Stripe's retry goes through
    with Session(engine) as session:
        assert session.get(StripeSubscription, sub["id"]).status == "past_due"


@pytest.mark.skipif(
    "FAKETIME" in os.environ,
    reason="uvicorn's event loop stalls under libfaketime (CI's moved-clock rerun); runs in the normal run",
)
def test_the_receiver_under_uvicorn_on_a_free_port(engine: Engine, world) -> None:
    import socket
    import threading

    import httpx
    import uvicorn

    fake, sub, client = world
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(client.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            threading.Event().wait(0.05)
        event = _update(fake, "subscriptions", sub["id"], "customer.subscription.updated", status="past_due")
        payload = json.dumps(event).encode()
        response = httpx.post(
            f"http://127.0.0.1:{port}/stripe/webhook",
            content=payload,
            headers={"Stripe-Signature": _sign(payload)},
            timeout=30,
        )
        assert response.status_code == 200 and response.json()["outcome"] == "applied"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    with Session(engine) as session:
        assert session.get(StripeSubscription, sub["id"]).status == "past_due"
