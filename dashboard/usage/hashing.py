"""The actor id (a Zendesk user id) is stored only as a keyed hash, scoped to its account."""

from __future__ import annotations

import hashlib
import hmac

from dashboard.core.settings import get_settings
from models.types import ACTOR_HASH_BYTES


def actor_hash_key() -> bytes:
    """The secret HMAC key `USAGE_ACTOR_HASH_KEY` (dashboard/core/keys.py)."""
    return get_settings().keys.usage_actor_hash_key


def actor_digest(key: bytes, *, account_id: int, actor: str) -> bytes:
    """The keyed hash of "account:actor" (Zendesk user ids are unique only inside one Zendesk account),
    as the raw bytes the store keeps; bulk loads write them as they are."""
    return hmac.digest(key, f"{account_id}:{actor}".encode(), hashlib.sha256)[:ACTOR_HASH_BYTES]


def hash_actor(key: bytes, *, account_id: int, actor: str) -> str:
    """`actor_digest` as the hex text the models read and compare (`models.types.ActorHash`)."""
    return actor_digest(key, account_id=account_id, actor=actor).hex()
