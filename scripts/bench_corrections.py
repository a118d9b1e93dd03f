"""Billing correction figures for docs/billing-corrections.md. Run from the project root:
`python scripts/bench_corrections.py [COUNT]`.

1. Refunds submitted end to end (validate with a fresh read, store, claim, refund, mirror, audit)
   against the fake Stripe server on SQLite: seconds per correction and Stripe requests per correction.
2. The same forms submitted a second time: how many extra refunds (must be 0) and the time per resubmit.
3. The corrections demo step after core and stripe at size `large`.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlmodel import Session  # noqa: E402

from dashboard.access.identity import Actor  # noqa: E402
from dashboard.billing.corrections import workflow  # noqa: E402
from dashboard.billing.stripe_gateway import StripeGateway  # noqa: E402
from dashboard.core.db import make_engine, migrate  # noqa: E402
from dashboard.demo import core, corrections, stripe  # noqa: E402
from dashboard.demo.context import SIZES, DemoContext  # noqa: E402
from dashboard.simulators.stripe import TEST_KEY, StripeSimulator  # noqa: E402
from tests.corrections_helpers import form_for, seed_business  # noqa: E402


def bench_refunds(count: int) -> None:
    fake = StripeSimulator().start()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        migrate(engine)
        with Session(engine, expire_on_commit=False) as session:
            business = seed_business(session, fake)
        gateway = StripeGateway(TEST_KEY, api_base=fake.url, max_network_retries=0)
        actor = Actor(email="am@bench.example", role="account_manager")
        forms, times = [], []
        for _ in range(count):
            form = form_for(gateway, "refund", business.charge["id"], business.account_id, amount="0.01")
            started = time.perf_counter()
            workflow.submit(engine, gateway, actor, form)
            times.append(time.perf_counter() - started)
            forms.append(form)
        requests = fake.total_calls
        resubmit = []
        for form in forms:
            started = time.perf_counter()
            workflow.submit(engine, gateway, actor, form)
            resubmit.append(time.perf_counter() - started)
        refunds = len(fake.store["refunds"])
        engine.dispose()
    fake.stop()
    print(
        f"{count} refunds: median {statistics.median(times) * 1000:.0f} ms, "
        f"p95 {sorted(times)[int(0.95 * len(times)) - 1] * 1000:.0f} ms per correction; "
        f"{requests / count:.1f} Stripe requests per correction (incl. opening the form)"
    )
    print(
        f"resubmitting the same {count} forms: {refunds - count} extra refunds, "
        f"median {statistics.median(resubmit) * 1000:.1f} ms each"
    )


def bench_demo_large() -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'demo.sqlite3'}")
        migrate(engine)
        ctx = DemoContext(engine=engine, size=SIZES["large"], seed=20261122)
        core.generate(ctx)
        stripe.generate(ctx)
        started = time.perf_counter()
        corrections.generate(ctx)
        print(f"corrections demo step at large: {time.perf_counter() - started:.2f} s")
        engine.dispose()


if __name__ == "__main__":
    bench_refunds(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
    bench_demo_large()
