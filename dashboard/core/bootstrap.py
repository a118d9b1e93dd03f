"""Getting the store ready: migrate, and on the embedded default, seed the demo data once."""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from dashboard.core.db import is_empty, make_engine, migrate
from dashboard.core.settings import Settings

log = logging.getLogger(__name__)


def prepare_store(settings: Settings) -> Engine:
    """Engine for the configured store, migrated to head; the default SQLite store is seeded when empty.

    Raises `MissingKeyError` before touching the store when it is not the demo store and a key is missing.
    """
    settings.keys  # noqa: B018  (loading them is the check)
    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    if settings.is_demo_store and is_empty(engine):
        from dashboard.demo import seed_demo

        log.info("Empty default store: seeding the small demo data set")
        seed_demo(engine, size="small")
    return engine
