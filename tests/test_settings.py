"""Settings: environment wins over secrets.toml, and secrets never appear in repr, str, JSON or logs."""

from __future__ import annotations

import logging

import pytest

from dashboard.core import keys
from dashboard.core import settings as settings_module
from dashboard.core.bootstrap import prepare_store
from dashboard.core.settings import Settings

SECRETS = {
    "STRIPE_API_KEY": "sk_test_51SuperSecretStripeKey",
    "SECRET_KEY": "very-secret-encryption-key",
    "USAGE_ACTOR_HASH_KEY": "very-secret-hash-key",
}


@pytest.fixture
def secret_env(monkeypatch, tmp_path):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'pw-in-url.sqlite3'}?password=hunter2pw")
    return tmp_path


def test_secrets_do_not_show_in_repr_str_or_json(secret_env) -> None:
    settings = Settings()
    assert settings.stripe_api_key.get_secret_value() == SECRETS["STRIPE_API_KEY"]
    rendered = [repr(settings), str(settings), settings.model_dump_json(), str(settings.model_dump())]
    for text in rendered:
        for secret in [*SECRETS.values(), "hunter2pw"]:
            assert secret not in text


def test_secrets_are_not_logged_while_the_store_is_prepared(secret_env, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    settings = Settings(database_url=f"sqlite:///{secret_env / 'store.sqlite3'}", auto_seed_demo=False)
    prepare_store(settings).dispose()
    logging.getLogger("test").info("settings: %s", settings)
    for secret in SECRETS.values():
        assert secret not in caplog.text


def test_environment_wins_over_secrets_toml(tmp_path, monkeypatch) -> None:
    toml = tmp_path / "secrets.toml"
    toml.write_text('stripe_api_key = "sk_from_toml"\nreporting_currency = "eur"\n[auth]\nclient_id = "x"\n')
    monkeypatch.setattr(settings_module, "SECRETS_TOML", toml)
    monkeypatch.setenv("REPORTING_CURRENCY", "gbp")
    settings = Settings()
    assert settings.stripe_api_key.get_secret_value() == "sk_from_toml"
    assert settings.reporting_currency == "gbp"


def test_default_store_is_a_sqlite_file_in_the_data_folder(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    settings = Settings()
    assert settings.uses_default_store
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'data' / 'console.sqlite3'}"


def test_the_demo_store_generates_its_keys_once_into_the_data_folder(monkeypatch, tmp_path) -> None:
    for name in ("SECRET_KEY", "AUDIT_KEY", "USAGE_ACTOR_HASH_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(data_dir=tmp_path / "data")
    assert settings.is_demo_store
    first = settings.keys
    folder = tmp_path / "data" / "keys"
    assert sorted(p.name for p in folder.iterdir()) == ["audit_key", "secret_key", "usage_actor_hash_key"]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in folder.iterdir())
    assert folder.stat().st_mode & 0o777 == 0o700
    assert len({first.secret_key, first.audit_key, first.usage_actor_hash_key}) == 3
    assert Settings(data_dir=tmp_path / "data").keys == first  # read back, not generated again
    assert first.secret_key != keys.BUILT_IN_SECRET_KEY.encode()


@pytest.mark.parametrize(
    "store", [{"database_url": "postgresql://console@127.0.0.1/console"}, {"auto_seed_demo": False}]
)
def test_a_non_demo_store_refuses_to_start_without_keys(monkeypatch, tmp_path, store) -> None:
    for name in ("SECRET_KEY", "AUDIT_KEY", "USAGE_ACTOR_HASH_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(data_dir=tmp_path / "data", **store)
    with pytest.raises(keys.MissingKeyError, match="SECRET_KEY is not set"):
        prepare_store(settings)
    assert not (tmp_path / "data").exists()  # nothing generated, no store created
    with pytest.raises(keys.MissingKeyError, match="is the old built-in public value"):
        keys.load_keys(Settings(data_dir=tmp_path / "data", secret_key=keys.BUILT_IN_SECRET_KEY, **store))
