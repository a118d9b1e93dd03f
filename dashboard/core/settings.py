"""Settings from the environment and `.streamlit/secrets.toml` (environment wins).

Secrets are `SecretStr`, so they never show up in a repr, a log line or a traceback.
"""

from __future__ import annotations

from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

if TYPE_CHECKING:
    from dashboard.core.keys import Keys

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
SECRETS_TOML = PROJECT_ROOT / ".streamlit" / "secrets.toml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    # A secret: a PostgreSQL URL carries its password. Empty means the embedded SQLite file.
    database_url: SecretStr = SecretStr("")
    data_dir: Path = DEFAULT_DATA_DIR
    reporting_currency: str = "usd"
    # Seed the demo data on first start when the store is the default SQLite file and empty.
    auto_seed_demo: bool = True
    # Load the heaviest pages' first-visit data in the background when the server starts
    # (dashboard/ui/page_data.py).
    warm_caches_at_start: bool = True
    # On the demo store, run the Stripe and Zendesk simulators (dashboard/simulators/) holding the demo's
    # objects whenever no STRIPE_API_KEY / ZENDESK_API_BASE points elsewhere.
    demo_simulators: bool = True

    stripe_api_key: SecretStr | None = None
    stripe_api_base: str | None = None  # only for tests and local fakes
    stripe_max_network_retries: int = 3
    stripe_webhook_secret: SecretStr | None = None  # whsec_...: verifies `serve-webhooks` deliveries

    zendesk_api_base: str | None = None  # only for tests and local fakes (e.g. http://127.0.0.1:PORT)
    zendesk_timeout_seconds: float = 15.0
    zendesk_ratelimit_budget_seconds: int = 120  # longest wait on 429s per account in one run
    zendesk_run_ratelimit_budget_seconds: int = 600  # longest wait on 429s over all accounts of one run
    # Requests a minute until Zendesk's `x-rate-limit` header says the account's own (200 = smallest plan).
    zendesk_requests_per_minute: int = 200
    zendesk_comment_workers: int = 4  # parallel comment fetches per account in an export
    # A deletion check searches again with backoff this long before it reports the user still found.
    zendesk_deletion_check_window_seconds: int = 120

    # Keys (dashboard/core/keys.py; read them through `settings.keys`): stored Zendesk tokens, the audit
    # chain, usage actor ids. Unset on the demo store = generated into DATA_DIR/keys; required elsewhere.
    secret_key: SecretStr | None = None
    audit_key: SecretStr | None = None
    usage_actor_hash_key: SecretStr | None = None
    usage_retention_days: int = 90
    usage_retention_mode: str = "delete"  # delete | truncate_ip

    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    # Consecutive failures count towards the lockout only while the last one is this recent; a throttle
    # row past it (and past its lock) no longer matters and is deleted by `purge login-throttles`.
    login_failure_window_minutes: int = Field(default=1440, ge=1, le=525_600)
    # Wait after each failed sign-in: this, doubled per consecutive failure, at most the max.
    login_failure_delay_seconds: float = 0.5
    login_failure_delay_max_seconds: float = 4.0
    # Local sign-in survives reloads through a session cookie: it ends after this long without use
    # (sliding), and at the latest this long after sign-in.
    session_idle_minutes: int = 480
    session_lifetime_days: int = 7

    export_expiry_days: int = 7
    correction_approval_threshold_minor: int = 50_000  # in the reporting currency
    # The threshold also applies to the sum of an account's corrections over this many days.
    correction_approval_window_days: int = 30
    privacy_default_deadline_days: int = 30
    # `python -m dashboard remind privacy`: what goes in the daily digest, and the SMTP server it goes to.
    privacy_remind_due_within_days: int = 7
    privacy_remind_client_wait_days: int = 5
    smtp_host: str = ""  # empty: reminders are not configured
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: SecretStr | None = None
    smtp_from: str = ""
    smtp_security: str = "starttls"  # starttls | ssl | none (none only for a local relay)
    smtp_timeout_seconds: float = 20.0

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=SECRETS_TOML)
        return (init_settings, env_settings, toml, file_secret_settings)

    @property
    def effective_database_url(self) -> str:
        return self.database_url.get_secret_value() or f"sqlite:///{self.data_dir / 'console.sqlite3'}"

    @property
    def uses_default_store(self) -> bool:
        return not self.database_url.get_secret_value()

    @property
    def is_demo_store(self) -> bool:
        """The embedded SQLite file seeded with demo data: the only store that may run without keys."""
        return self.uses_default_store and self.auto_seed_demo

    @cached_property
    def keys(self) -> Keys:
        """The three secret keys; raises `MissingKeyError` on a non-demo store without them."""
        from dashboard.core.keys import load_keys

        return load_keys(self)

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / "exports"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    """Tests change the environment; this makes the next `get_settings()` read it again."""
    get_settings.cache_clear()
