"""The console's three secret keys, never from code.

Each comes from the environment or `.streamlit/secrets.toml`. Only the demo store (the default SQLite
file with `AUTO_SEED_DEMO` on) may go without: there a random key is generated on first start into
`DATA_DIR/keys/<name>` (mode 0600) and used from then on. Any other store refuses to start while a key
is missing or is the old built-in public value.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dashboard.core.settings import Settings

# The public default SECRET_KEY of earlier versions: a store that still uses it is refused.
BUILT_IN_SECRET_KEY = "dev-only-secret-key-change-me"


class KeyName(StrEnum):
    SECRET_KEY = "secret_key"  # encrypts stored Zendesk tokens
    AUDIT_KEY = "audit_key"  # HMAC of the audit chain and of its checkpoints
    USAGE_ACTOR_HASH_KEY = "usage_actor_hash_key"  # HMAC of usage actor ids


class MissingKeyError(RuntimeError):
    """A non-demo store without one of its keys: the console refuses to start."""


@dataclass(frozen=True)
class Keys:
    secret_key: bytes
    audit_key: bytes
    usage_actor_hash_key: bytes


def load_keys(settings: Settings) -> Keys:
    """Every key, from settings, else (demo store only) from the generated key files."""
    return Keys(**{name.value: _key(settings, name) for name in KeyName})


def _key(settings: Settings, name: KeyName) -> bytes:
    configured = getattr(settings, name.value)
    value = configured.get_secret_value() if configured is not None else ""
    if value and value != BUILT_IN_SECRET_KEY:
        return value.encode()
    if not settings.is_demo_store:
        problem = "is the old built-in public value" if value else "is not set"
        raise MissingKeyError(
            f"{name.value.upper()} {problem}. This store is not the demo store (PostgreSQL, or "
            f"AUTO_SEED_DEMO=false), so set it to a long random value in the environment or "
            f".streamlit/secrets.toml, e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )
    return generated_key(settings.data_dir / "keys" / name.value)


def generated_key(path: Path) -> bytes:
    """The key in `path`, created with a random value (mode 0600) when it does not exist yet."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    value = secrets.token_urlsafe(48).encode()
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(value)
    return value
