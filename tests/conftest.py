"""Shared fixtures: a migrated store on SQLite and (when reachable) PostgreSQL, actors, AppTest runner.

Every test that takes `engine` or `session` runs once per backend. Each test starts from empty tables.
PostgreSQL tests use a private database created for this pytest process, so parallel runs do not clash.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel

import models  # noqa: F401
from dashboard.access import auth
from dashboard.access import users as users_service
from dashboard.access.identity import SYSTEM, Actor
from dashboard.core import clock
from dashboard.core.db import make_engine, migrate
from dashboard.core.settings import PROJECT_ROOT, reset_settings_cache
from tests.demo_template import DemoTemplates

# Test stores are not the demo store, so they need the three keys (dashboard/core/keys.py); fixed values keep
# the demo data's hashes reproducible across runs and backends.
TEST_KEYS = {
    "SECRET_KEY": "test-secret-key-not-for-production-0123456789",
    "AUDIT_KEY": "test-audit-key-not-for-production-0123456789",
    "USAGE_ACTOR_HASH_KEY": "test-usage-key-not-for-production-0123456789",
}
for _name, _value in TEST_KEYS.items():
    os.environ.setdefault(_name, _value)
# A test's store changes under the app: no background load may cache an earlier state of it.
os.environ.setdefault("WARM_CACHES_AT_START", "false")

# argon2 at its cheapest in this process: a hash with the console's parameters costs ~0.4 s of CPU, and the
# suite makes hundreds (every user, every sign-in). What is tested is the scheme (argon2id, a salt per hash,
# verify, lockout); the consoles that browser tests start keep the real parameters.
auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
auth._DUMMY_HASH = auth._hasher.hash("not-a-real-password")

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
TEST_PASSWORD = "correct horse battery staple"


def _postgres_reachable() -> bool:
    try:
        engine = make_engine(PG_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def _backends() -> list[str]:
    if os.environ.get("TEST_BACKENDS"):
        return os.environ["TEST_BACKENDS"].split(",")
    return ["sqlite", "postgresql"]


def pytest_report_header(config: pytest.Config) -> str:
    reachable = "reachable" if _postgres_reachable() else "NOT reachable (its tests will skip, or fail in CI)"
    where = PG_ADMIN_URL.split("@")[-1]
    return f"store backends: {', '.join(_backends())}; PostgreSQL at {where}: {reachable}"


@pytest.fixture(autouse=True)
def clock_held_still() -> Iterator[None]:
    """Every test reads one instant from the console clock: the moment it started (under `faketime`
    that is the faked moment), so a test can never straddle midnight between two reads."""
    clock.set_now(clock.now())
    yield
    clock.set_now(None)


@pytest.fixture
def freeze() -> Callable[[datetime], datetime]:
    """Move the console clock to a stated instant for the rest of the test: `freeze(datetime(...))`."""

    def _freeze(instant: datetime) -> datetime:
        clock.set_now(instant)
        return instant

    return _freeze


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite file; each test gets a copy (much faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def demo_templates(tmp_path_factory: pytest.TempPathFactory) -> DemoTemplates:
    """`demo_templates.seed(engine)`: the small demo in the test's store, built once per worker."""
    return DemoTemplates(tmp_path_factory.mktemp("demo-templates"))


@contextmanager
def private_postgres_database() -> Iterator[str]:
    """A migrated PostgreSQL database of its own (skipped when PostgreSQL is unreachable, failed in CI);
    yields its URL and drops it after."""
    if not _postgres_reachable():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432, and CI must test on it")
        pytest.skip("PostgreSQL is not reachable")
    name = f"console_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with private_postgres_database() as url:
        yield url


def _truncate_all(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=_backends())
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        path = tmp_path / "console.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
    else:
        eng = make_engine(request.getfixturevalue("postgres_url"))
        yield eng
        _truncate_all(eng)
        eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def make_user(session: Session) -> Callable[..., Actor]:
    """Create (and commit) a user with the given role; returns the matching Actor."""

    def _make(role: str, email: str | None = None, password: str | None = TEST_PASSWORD) -> Actor:
        email = email or f"{role}.{uuid.uuid4().hex[:6]}@example.com"
        name = role.replace("_", " ").title()
        user = users_service.add_user(session, SYSTEM, email=email, role=role, name=name, password=password)
        session.commit()
        return Actor(email=user.email, role=user.role, user_id=user.id, name=user.name)

    return _make


@pytest.fixture
def app_env(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Engine]:
    """Point the Streamlit app (AppTest) at the test store, with fresh settings and caches."""
    import streamlit as st

    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LOGIN_FAILURE_DELAY_SECONDS", "0")
    reset_settings_cache()
    st.cache_resource.clear()
    st.cache_data.clear()
    yield engine
    st.cache_resource.clear()
    st.cache_data.clear()
    reset_settings_cache()


@pytest.fixture
def run_page(app_env: Engine) -> Callable[..., object]:
    """Run one page file under AppTest as `actor`; returns the AppTest after the run."""
    from streamlit.testing.v1 import AppTest

    def _run(page_file: str, actor: Actor | None, query: dict[str, str] | None = None, timeout: float = 30):
        at = AppTest.from_file(str(PROJECT_ROOT / page_file), default_timeout=timeout)
        if actor is not None:
            at.session_state["actor"] = actor
        for key, value in (query or {}).items():
            at.query_params[key] = value
        return at.run()

    return _run


@pytest.fixture
def fake_zendesk() -> Iterator[object]:
    """The Zendesk simulator on a free 127.0.0.1 port (dashboard/simulators/zendesk.py), stopped after."""
    from dashboard.simulators.zendesk import ZendeskSimulator

    with ZendeskSimulator() as fake:
        yield fake


from tests.stripe_fixtures import fake_stripe, stripe_gateway  # noqa: E402,F401  (shared fixtures)
