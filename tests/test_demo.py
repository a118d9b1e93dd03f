"""The demo generator: same seed and `now` give the same rows (on either backend); it never touches a
store that already holds data."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select, text
from sqlmodel import SQLModel

from dashboard.access.auth import password_matches
from dashboard.core.db import make_engine, migrate
from dashboard.demo import seed_demo
from dashboard.demo.core import DEMO_PASSWORD, DEMO_USERS

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
# Random by design: Argon2 salts, Fernet IVs (stored Zendesk tokens), session tokens and export file names
# (unguessable); everything else must not be.
NONDETERMINISTIC_COLUMNS = {"password_hash", "token_encrypted", "token_hash", "file_name"}


def _value(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return repr(value)


def _digests(engine: Engine) -> dict[str, tuple[int, str]]:
    """Per table: row count and a hash over every row in primary-key order."""
    out = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            columns = [c for c in table.columns if c.name not in NONDETERMINISTIC_COLUMNS]
            digest, count = hashlib.sha256(), 0
            for row in conn.execute(select(*columns).order_by(*table.primary_key.columns)):
                digest.update("|".join(_value(v) for v in row).encode())
                count += 1
            out[table.name] = (count, digest.hexdigest())
    return out


def _fresh_sqlite(path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    return engine


def test_same_seed_and_now_give_identical_rows(engine: Engine, tmp_path, demo_templates) -> None:
    demo_templates.seed(engine, seed=7, now=NOW)  # built here, or copied from this worker's earlier build
    reference = _fresh_sqlite(tmp_path / "reference.sqlite3")
    seed_demo(reference, "small", seed=7, now=NOW)
    ours, theirs = _digests(engine), _digests(reference)
    assert ours["accounts"][0] == 120 and ours["users"][0] == len(DEMO_USERS) + 1
    assert ours == theirs
    reference.dispose()


def test_another_seed_gives_other_rows(tmp_path, demo_templates) -> None:
    one, two = _fresh_sqlite(tmp_path / "one.sqlite3"), _fresh_sqlite(tmp_path / "two.sqlite3")
    demo_templates.seed(one, seed=7, now=NOW)
    seed_demo(two, "small", seed=2, now=NOW)
    assert _digests(one)["accounts"] != _digests(two)["accounts"]


def test_demo_users_can_sign_in_with_the_documented_password(tmp_path, demo_templates) -> None:
    engine = _fresh_sqlite(tmp_path / "demo.sqlite3")
    demo_templates.seed(engine, seed=7, now=NOW)
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT email, password_hash FROM users")).all())
    for email, _name in DEMO_USERS.values():
        assert password_matches(rows[email], DEMO_PASSWORD)


def test_refuses_a_store_that_has_data(engine: Engine, make_user) -> None:
    make_user("admin")
    with pytest.raises(RuntimeError, match="not empty"):
        seed_demo(engine, "small", seed=7, now=NOW)
    counts = _digests(engine)
    assert counts["users"][0] == 1 and counts["accounts"][0] == 0 and counts["apps"][0] == 0


def test_unknown_size_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="size"):
        seed_demo(engine, "gigantic")
