"""What every demo step shares: sizes, the seeded random source, the fixed clock and fast bulk inserts."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlmodel import SQLModel

from dashboard.core import clock


@dataclass(frozen=True)
class DemoSize:
    name: str
    accounts: int
    installations: int
    subscriptions: int
    usage_events: int
    privacy_requests: int


SIZES: dict[str, DemoSize] = {
    "small": DemoSize(
        "small", accounts=120, installations=180, subscriptions=160, usage_events=60_000, privacy_requests=60
    ),
    "large": DemoSize(
        "large",
        accounts=20_000,
        installations=30_000,
        subscriptions=30_000,
        usage_events=10_000_000,
        # each request is logged and moved on through privacy/requests.py (~40 ms a request on SQLite,
        # most of it the intake's look-ups by email): 10,000 took 7 minutes, 2,000 take about 80 s
        privacy_requests=2_000,
    ),
}


def default_now() -> datetime:
    """Noon UTC today: demo deadlines ("due today", "overdue") are relative to the day it is seeded."""
    today = clock.today()
    return datetime(today.year, today.month, today.day, 12, 0, tzinfo=UTC)


@dataclass
class DemoContext:
    engine: Engine
    size: DemoSize
    seed: int
    # Same seed and same `now` give the same data, row for row.
    now: datetime = field(default_factory=default_now)
    rng: random.Random = field(init=False)
    # Steps leave what later steps need here (e.g. "account_ids", "app_ids").
    shared: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def bulk_insert(self, model: type[SQLModel], rows: list[dict[str, Any]], batch: int = 20_000) -> None:
        """Insert plain dict rows in large executemany batches (no ORM objects)."""
        table = model.__table__  # type: ignore[attr-defined]
        with self.engine.begin() as conn:
            for start in range(0, len(rows), batch):
                conn.execute(insert(table), rows[start : start + batch])
            integer_id = "id" in table.c and table.c.id.type.python_type is int  # text ids have no sequence
            if conn.dialect.name == "postgresql" and integer_id and rows and "id" in rows[0]:
                # Explicit ids do not move PostgreSQL's sequence; move it so later inserts don't collide.
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"
                    )
                )
