"""The gateway against the fake server: paging, expansion, events, errors, retries, idempotency."""

from __future__ import annotations

import pytest

from dashboard.billing.stripe_gateway import StripeGateway, StripeGatewayError
from dashboard.simulators.stripe import StripeSimulator


def _business(fake: StripeSimulator, subscriptions: int) -> None:
    product = fake.add_product("Ticket Tagger")
    price = fake.add_price(product, unit_amount=1500)
    coupon = fake.add_coupon(percent_off=20.0)
    for n in range(subscriptions):
        customer = fake.add_customer(email=f"c{n}@example.com")
        fake.add_subscription(customer, [(price, 2)], coupon=coupon if n % 2 else None)


def test_pages_of_100_with_discounts_expanded(
    fake_stripe: StripeSimulator, stripe_gateway: StripeGateway
) -> None:
    _business(fake_stripe, 250)
    pages = list(stripe_gateway.list_pages("subscriptions"))
    assert [len(p) for p in pages] == [100, 100, 50]
    assert fake_stripe.calls["GET /v1/subscriptions"] == 3
    subs = [s for page in pages for s in page]
    assert len({s["id"] for s in subs}) == 250
    with_discount = [s for s in subs if s["discounts"]]
    assert len(with_discount) == 125
    assert with_discount[0]["discounts"][0]["source"]["coupon"]["percent_off"] == 20.0
    assert subs[0]["items"]["data"][0]["price"]["unit_amount"] == 1500


def test_events_filtered_by_created(fake_stripe: StripeSimulator, stripe_gateway: StripeGateway) -> None:
    customer = fake_stripe.add_customer()
    fake_stripe.clock = 1000
    fake_stripe.emit("customer.created", customer)
    fake_stripe.clock = 2000
    fake_stripe.emit("customer.updated", customer)
    events = [e for page in stripe_gateway.event_pages(created_gte=1500) for e in page]
    assert [e["type"] for e in events] == ["customer.updated"]


def test_bad_key_is_an_authentication_error(fake_stripe: StripeSimulator) -> None:
    gateway = StripeGateway("sk_test_wrong", api_base=fake_stripe.url, max_network_retries=0)
    with pytest.raises(StripeGatewayError) as caught:
        next(gateway.list_pages("customers"))
    assert caught.value.kind == "authentication"
    assert "API key" in caught.value.message


def test_500_then_success_is_retried(fake_stripe: StripeSimulator, stripe_gateway: StripeGateway) -> None:
    fake_stripe.add_customer(email="x@example.com")
    fake_stripe.fail_next(r"GET /v1/customers$", status=500)
    pages = list(stripe_gateway.list_pages("customers"))
    assert pages[0][0]["email"] == "x@example.com"
    assert fake_stripe.calls["GET /v1/customers"] == 2


def test_429_is_retried_by_the_gateway(fake_stripe: StripeSimulator, stripe_gateway: StripeGateway) -> None:
    fake_stripe.add_customer()
    fake_stripe.fail_next(r"GET /v1/customers$", status=429)
    assert len(next(stripe_gateway.list_pages("customers"))) == 1
    assert fake_stripe.calls["GET /v1/customers"] == 2


def test_hang_past_timeout_is_retried(fake_stripe: StripeSimulator, stripe_gateway: StripeGateway) -> None:
    fake_stripe.add_customer()
    fake_stripe.hang_next(r"GET /v1/customers$", seconds=3)
    assert len(next(stripe_gateway.list_pages("customers"))) == 1


def test_persistent_500_is_a_clear_error(fake_stripe: StripeSimulator, stripe_gateway: StripeGateway) -> None:
    fake_stripe.fail_next(r"GET /v1/customers$", status=500, times=10)
    with pytest.raises(StripeGatewayError) as caught:
        next(stripe_gateway.list_pages("customers"))
    assert caught.value.kind == "api" and caught.value.status == 500
    assert fake_stripe.calls["GET /v1/customers"] == 3  # first try + 2 network retries


def test_missing_object_is_not_found(fake_stripe: StripeSimulator, stripe_gateway: StripeGateway) -> None:
    with pytest.raises(StripeGatewayError) as caught:
        stripe_gateway.retrieve("customers", "cus_nope")
    assert caught.value.kind == "not_found"


def test_a_failure_names_the_endpoint(fake_stripe: StripeSimulator, stripe_gateway: StripeGateway) -> None:
    with pytest.raises(StripeGatewayError) as caught:
        stripe_gateway.retrieve("subscriptions", "sub_missing")

    assert caught.value.kind == "not_found"
    assert caught.value.message.startswith("GET /v1/subscriptions/sub_missing: ")
