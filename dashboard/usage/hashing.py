"""The actor id (a Zendesk user id) is stored only as a keyed hash, scoped to its account."""

from __future__ import annotations

import hashlib
import hmac

from dashboard.core.settings import get_settings


def actor_hash_key() -> bytes:
    """The secret HMAC key `USAGE_ACTOR_HASH_KEY` (dashboard/core/keys.py)."""
    return get_settings().keys.usage_actor_hash_key


def hash_actor(key: bytes, *, account_id: int, actor: str) -> str:
    """HMAC-SHA256 of "account:actor"; Zendesk user ids are unique only inside one Zendesk account."""
    return hmac.digest(key, f"{account_id}:{actor}".encode(), hashlib.sha256).hex()
