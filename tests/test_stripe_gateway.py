"""The gateway against the fake server: paging, expansion, events, errors, retries, idempotency."""

from __future__ import annotations

import json
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

from dashboard.billing.stripe_gateway import StripeGateway, StripeGatewayError
from dashboard.simulators.stripe import TEST_KEY, StripeSimulator


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


def test_hang_past_timeout_is_retried(fake_stripe: StripeSimulator) -> None:
    impatient = StripeGateway(TEST_KEY, api_base=fake_stripe.url, max_network_retries=2, timeout=1.0)
    fake_stripe.add_customer()
    fake_stripe.hang_next(r"GET /v1/customers$", seconds=3)
    assert len(next(impatient.list_pages("customers"))) == 1
    assert fake_stripe.calls["GET /v1/customers"] == 2


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


def test_an_injected_decline_reads_as_stripe_says_it(
    fake_stripe: StripeSimulator, stripe_gateway: StripeGateway
) -> None:
    fake_stripe.fail_next(r"GET /v1/customers$", status=402)
    with pytest.raises(StripeGatewayError) as caught:
        next(stripe_gateway.list_pages("customers"))
    assert (caught.value.kind, caught.value.status) == ("card", 402)
    assert caught.value.message == "GET /v1/customers: Your card was declined."


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (
            {"status": 402},
            {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": "Your card was declined.",
                "doc_url": "https://stripe.com/docs/error-codes/card-declined",
            },
        ),
        (
            {"status": 402, "code": "insufficient_funds", "message": "Your card has insufficient funds."},
            {
                "type": "card_error",
                "code": "insufficient_funds",
                "message": "Your card has insufficient funds.",
                "doc_url": "https://stripe.com/docs/error-codes/insufficient-funds",
            },
        ),
        (
            {"status": 404},
            {
                "type": "invalid_request_error",
                "code": None,
                "message": "Unrecognized request URL (GET: /v1/customers).",
            },
        ),
        ({"status": 503}, {"type": "api_error", "code": None}),
    ],
)
def test_injected_faults_answer_stripes_error_object(fake_stripe: StripeSimulator, fault, error) -> None:
    fake_stripe.fail_next(r"GET /v1/customers$", **fault)
    authorization = {"Authorization": f"Bearer {fake_stripe.api_key}"}
    request = Request(f"{fake_stripe.url}/v1/customers", headers=authorization)
    with pytest.raises(HTTPError) as caught:
        urlopen(request, timeout=5)
    body = json.loads(caught.value.read())["error"]
    assert caught.value.code == fault["status"]
    assert {name: body.get(name) for name in error} == error
    assert set(body) <= {"type", "code", "decline_code", "message", "doc_url"}
