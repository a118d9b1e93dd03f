"""The console's one clock: nothing else reads the wall clock.

Pages, screens, jobs and column defaults ask `now()` (an aware UTC instant) or `today(zone)` (the
calendar date in a viewer's zone). Tests fix the instant with `frozen_at(...)`; a whole process can be
moved with Debian's `faketime`, which this module follows like any other reader of the system clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

_fixed: datetime | None = None


def now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return _fixed if _fixed is not None else datetime.now(UTC)


def today(zone: str | tzinfo = "UTC") -> date:
    """Today's calendar date where the viewer is (UTC unless a zone name or tzinfo is given)."""
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    return now().astimezone(tz).date()


def epoch_seconds() -> int:
    """`now()` as whole Unix seconds (what Stripe's timestamps use)."""
    return int(now().timestamp())


def set_now(instant: datetime | None) -> None:
    """Fix the clock at `instant` (aware), or let it follow the system clock again with None."""
    global _fixed
    if instant is not None and instant.tzinfo is None:
        raise ValueError("the clock takes an aware datetime")
    _fixed = instant.astimezone(UTC) if instant is not None else None


@contextmanager
def frozen_at(instant: datetime) -> Iterator[None]:
    """Within the block the clock reads `instant`; the previous setting comes back afterwards."""
    previous = _fixed
    set_now(instant)
    try:
        yield
    finally:
        set_now(previous)
