"""Revision 0010 converts the usage events a store already has: user agents into `usage_agents`, actor
hashes to 16 raw bytes (still matching the hashes the console computes), and back again."""

from __future__ import annotations

import hashlib
import hmac

from alembic import command
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from dashboard.core.db import alembic_config, migrate
from dashboard.usage.hashing import actor_hash_key, hash_actor
from models import UsageActorDay, UsageAgent, UsageEvent
from tests.test_migrations import _fill_old_schema, _schema_diff, _upgrade, empty_engine  # noqa: F401

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
SAFARI = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15"


def _old_hash(account_id: int, actor: str) -> str:
    """The whole 32-byte digest as hex text, as revisions before 0010 stored it."""
    return hmac.digest(actor_hash_key(), f"{account_id}:{actor}".encode(), hashlib.sha256).hex()


OLD_EVENTS = [
    # event_id, actor, user agent, browser, os (the erased event's agent was nulled, its browser kept)
    ("e1", "360001", FIREFOX, "Firefox", "Linux"),
    ("e2", "360001", FIREFOX, "Firefox", "Linux"),
    ("e3", "360002", SAFARI, "Safari", "Mac OS X"),
    ("e4", "erased", None, "Firefox", "Linux"),
]


def _fill_0009_events(engine: Engine) -> None:
    with engine.begin() as conn:
        for event_id, actor, agent, browser, os_name in OLD_EVENTS:
            conn.execute(
                text(
                    "INSERT INTO usage_events (event_id, installation_id, account_id, app_id, feature, "
                    "actor_hash, occurred_at, ip_address, user_agent, browser, os, ingested_at) VALUES "
                    "(:e, 3, 7, 1, 'search', :h, '2026-11-01 10:00:00', '203.0.113.9', :ua, :b, :o, "
                    "'2026-11-01 11:00:00')"
                ),
                {"e": event_id, "h": _old_hash(7, actor), "ua": agent, "b": browser, "o": os_name},
            )
        conn.execute(
            text("INSERT INTO usage_actor_days (day, app_id, account_id, actor_hash) VALUES (:d, 1, 7, :h)"),
            {"d": "2026-11-01", "h": _old_hash(7, "360001")},
        )


def test_existing_events_take_the_agent_table_and_short_hashes(empty_engine: Engine) -> None:  # noqa: F811
    _upgrade(empty_engine, "0001")
    _fill_old_schema(empty_engine)  # the account, app and installation the events belong to
    _upgrade(empty_engine, "0009")
    _fill_0009_events(empty_engine)

    migrate(empty_engine)

    assert _schema_diff(empty_engine) == []
    with Session(empty_engine) as session:
        agents = {a.id: (a.user_agent, a.browser, a.os) for a in session.exec(select(UsageAgent)).all()}
        events = {e.event_id: e for e in session.exec(select(UsageEvent)).all()}
        actor_days = set(session.exec(select(UsageActorDay.actor_hash)).all())
        stored = session.connection().execute(text("SELECT actor_hash FROM usage_events")).scalars().all()
        # A deletion planned before 0010 holds whole digests: they still find the person's events.
        planned = select(UsageEvent.event_id).where(UsageEvent.actor_hash.in_([_old_hash(7, "360001")]))
        found_by_old_hash = sorted(session.exec(planned).all())
    assert sorted(agents.values()) == [(SAFARI, "Safari", "Mac OS X"), (FIREFOX, "Firefox", "Linux")]
    assert {e: agents.get(events[e].agent_id, (None,))[0] for e in events} == {
        "e1": FIREFOX,
        "e2": FIREFOX,
        "e3": SAFARI,
        "e4": None,
    }
    key = actor_hash_key()
    assert events["e1"].actor_hash == hash_actor(key, account_id=7, actor="360001")
    assert actor_days == {events["e1"].actor_hash, "ab" * 16}
    assert events["e3"].actor_hash == hash_actor(key, account_id=7, actor="360002")
    assert {len(value) for value in stored} == {16}
    assert found_by_old_hash == ["e1", "e2"]

    config = alembic_config()
    with empty_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0009")
    with empty_engine.connect() as conn:
        back = conn.execute(
            text(
                "SELECT event_id, actor_hash, user_agent, browser, os, ingested_at = occurred_at "
                "FROM usage_events ORDER BY event_id"
            )
        ).all()
    assert [tuple(row) for row in back] == [
        ("e1", _old_hash(7, "360001")[:32], FIREFOX, "Firefox", "Linux", True),
        ("e2", _old_hash(7, "360001")[:32], FIREFOX, "Firefox", "Linux", True),
        ("e3", _old_hash(7, "360002")[:32], SAFARI, "Safari", "Mac OS X", True),
        ("e4", _old_hash(7, "erased")[:32], None, None, None, True),
    ]
