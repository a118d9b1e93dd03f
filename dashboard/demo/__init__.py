"""Deterministic demo data: `seed_demo(engine, size)` makes a believable business.

Each domain adds one module with `generate(ctx: DemoContext) -> None`, listed in `STEPS` in the order
they depend on each other. Every random choice comes from `ctx.rng` (seeded), and "now" is the fixed
`ctx.now` (noon UTC on the seeding day unless given), so the same size, seed and `now` always give the
same data.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine

from dashboard.demo.context import SIZES, DemoContext

log = logging.getLogger(__name__)


def _steps() -> list[tuple[str, Callable[[DemoContext], None]]]:
    from dashboard.demo import core, corrections, history, installations, privacy, stripe, usage

    return [
        ("core", core.generate),
        ("stripe", stripe.generate),
        # after the Stripe step: corrections act on its payments, invoices and subscriptions
        ("corrections", corrections.generate),
        # after the Stripe step: it links installations to the subscriptions in the store
        ("installations", installations.generate),
        # after installations: events belong to installations
        ("usage", usage.generate),
        ("privacy", privacy.generate),
        # last: writes what the steps before made happen into the audit chain, in time order
        ("history", history.generate),
    ]


def seed_demo(
    engine: Engine,
    size: str = "small",
    *,
    seed: int = 20261122,
    now: datetime | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> dict[str, float]:
    """Fill an empty, migrated store. Returns seconds per step."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}")
    ctx = DemoContext(engine=engine, size=SIZES[size], seed=seed)
    if now is not None:
        ctx.now = now
    timings: dict[str, float] = {}
    for name, step in _steps():
        started = time.perf_counter()
        step(ctx)
        timings[name] = time.perf_counter() - started
        log.info("demo step %s took %.1fs", name, timings[name])
        if progress:
            progress(name, timings[name])
    return timings
