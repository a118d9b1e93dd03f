"""Stripe figures for docs/stripe.md. Run from the project root: `python scripts/bench_stripe.py`.

1. Full sync against the fake Stripe server: API calls per 1,000 subscriptions, objects per second.
2. Subscriptions and Revenue page script-run time (AppTest) on the `large` demo data: cold and cached.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.billing.stripe_gateway import StripeGateway  # noqa: E402
from dashboard.billing.stripe_sync import run_stripe_sync  # noqa: E402
from dashboard.core.db import make_engine, migrate  # noqa: E402
from dashboard.simulators.stripe import TEST_KEY, StripeSimulator  # noqa: E402


def fill_fake(fake: StripeSimulator, subscriptions: int) -> None:
    """One customer per subscription, four plans, a coupon on every fifth, one paid invoice + charge each."""
    product = fake.add_product("Ticket Tagger")
    prices = [
        fake.add_price(product, unit_amount=amount, currency=currency, interval=interval)
        for amount, currency, interval in (
            (900, "usd", "month"),
            (9000, "usd", "year"),
            (850, "eur", "month"),
            (750, "gbp", "month"),
        )
    ]
    coupon = fake.add_coupon(percent_off=20.0)
    for n in range(subscriptions):
        customer = fake.add_customer(email=f"c{n}@example.com")
        price = prices[n % len(prices)]
        sub = fake.add_subscription(customer, [(price, 1 + n % 7)], coupon=coupon if n % 5 == 0 else None)
        fake.add_paid_invoice(sub, amount=price["unit_amount"] * (1 + n % 7))


def bench_sync(subscriptions: int) -> None:
    fake = StripeSimulator().start()
    try:
        fill_fake(fake, subscriptions)
        objects = sum(len(store) for name, store in fake.store.items() if name not in ("events", "discounts"))
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite:///{folder}/bench.sqlite3")
            migrate(engine)
            gateway = StripeGateway(TEST_KEY, api_base=fake.url, max_network_retries=2)
            fake.calls.clear()
            started = time.perf_counter()
            result = run_stripe_sync(engine, gateway, full=True, now=datetime.fromtimestamp(fake.clock, UTC))
            seconds = time.perf_counter() - started
            engine.dispose()
        assert result.status == "succeeded", result.error
        calls = fake.total_calls
        print(
            f"full sync, {subscriptions:,} subscriptions ({objects:,} objects): {calls} API calls "
            f"= {calls * 1000 / subscriptions:.1f} per 1,000 subscriptions; {seconds:.1f} s, "
            f"{objects / seconds:,.0f} objects/s"
        )
        for key, count in sorted(fake.calls.items()):
            print(f"    {key}: {count}")
    finally:
        fake.stop()


def seed_large(url: str) -> None:
    """Only the steps these pages read (core + stripe); usage events are not needed for them."""
    from dashboard.demo import core, stripe
    from dashboard.demo.context import SIZES, DemoContext

    engine = make_engine(url)
    migrate(engine)
    ctx = DemoContext(engine=engine, size=SIZES["large"], seed=20261122)
    for step in (core.generate, stripe.generate):
        started = time.perf_counter()
        step(ctx)
        print(f"  seeded {step.__module__.rsplit('.', 1)[-1]} in {time.perf_counter() - started:.1f} s")
    engine.dispose()


def bench_pages(url: str) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from dashboard.access.identity import Actor
    from dashboard.core.settings import reset_settings_cache

    os.environ["DATABASE_URL"] = url
    reset_settings_cache()
    # A one-line page first: its time is AppTest's own overhead, included in every figure below.
    for page, role in (
        ("(empty page)", "executive"),
        ("app_pages/subscriptions.py", "account_manager"),
        ("app_pages/revenue.py", "executive"),
    ):
        st.cache_data.clear()
        timings = []
        for _ in range(2):  # cold (caches empty), then cached
            at = (
                AppTest.from_string("import streamlit as st\nst.title('AppTest overhead')")
                if page.startswith("(")
                else AppTest.from_file(str(ROOT / page), default_timeout=300)
            )
            at.session_state["actor"] = Actor(email=f"{role}@bench.example", role=role)
            started = time.perf_counter()
            at.run()
            timings.append(time.perf_counter() - started)
            assert not at.exception, at.exception
        print(f"{page}: cold {timings[0]:.2f} s, cached {timings[1]:.2f} s")


if __name__ == "__main__":
    for size in [int(n) for n in sys.argv[1:]] or (1_000, 3_000):
        bench_sync(size)
    with tempfile.TemporaryDirectory() as folder:
        store = f"sqlite:///{folder}/large.sqlite3"
        print("large demo data (SQLite):")
        seed_large(store)
        bench_pages(store)
