"""Settings: one object, read from the environment (prefix ``SMARTCUSTOMS_``).

Built once by an adapter (CLI callback, ``create_app``) and passed down; tests
build ``Settings(...)`` directly. Nothing reads the environment at import time.
"""

from __future__ import annotations

import enum
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(enum.StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SMARTCUSTOMS_", env_file=None, extra="ignore", frozen=True
    )

    environment: Environment = Field(
        Environment.development, description="development, test or production."
    )
    data_dir: Path = Field(
        Path("var"),
        description="Directory for the SQLite database, keys and uploaded files.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; default: a SQLite file smartcustoms.db in data_dir. "
        "PostgreSQL: postgresql+psycopg://user@host:port/db",
    )
    host: str = Field("127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port the HTTP server listens on.")
    import_chunk_size: int = Field(
        5000, ge=1, le=100_000,
        description="Rows a worker validates at a time during a file import.",
    )
    import_commit_rows: int = Field(
        50_000, ge=1, le=1_000_000,
        description="Rows written per transaction during a file import (a commit also "
        "happens every 2 seconds): larger transactions write index pages less often.",
    )
    import_bulk_rows: int = Field(
        100_000, ge=0,
        description="A SQLite import of at least this many rows that at least doubles the "
        "declarations table builds its search indexes after the load (0: never).",
    )
    risk_refresh_seconds: int = Field(
        300, ge=0, description="How old the history behind submission scoring may get "
        "before it is rebuilt (0: rebuild for every submission).",
    )
    import_workers: int = Field(
        0, ge=0, le=64,
        description="Processes that read and validate import rows while the importing "
        "process writes; 0 = one per CPU core beyond the writer (none on a single core).",
    )
    token_ttl_hours: int = Field(
        24 * 30, ge=1, description="Lifetime of API tokens issued at login, in hours."
    )
    cookie_secure: bool = Field(
        False, description="Mark the console session cookie Secure (set behind HTTPS)."
    )
    max_upload_bytes: int = Field(
        512 * 1024 * 1024, ge=1024, description="Largest import file accepted over HTTP."
    )
    mqtt_url: str | None = Field(
        None, description="MQTT broker the transit intake subscribes to (mqtt://host:port); "
        "unset: no MQTT intake (devices upload over HTTPS).",
    )
    mqtt_broker_dir: Path | None = Field(
        None, description="Directory of the Mosquitto broker's passwd, acl and mosquitto.pid "
        "files; when set, smartcustoms writes them from the registered devices and reloads "
        "the broker.",
    )
    transit_tick_seconds: float = Field(
        30.0, gt=0, le=3600, description="How often `serve` evaluates every active trip "
        "against the clock (silent device, overdue).",
    )
    demo_admin_password: SecretStr = Field(
        SecretStr("demo-admin"),
        description="Password of the demo admin created by `smartcustoms demo`.",
    )

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if (
            self.environment is Environment.production
            and self.demo_admin_password.get_secret_value() == "demo-admin"
        ):
            raise ValueError(
                "demo_admin_password is the development placeholder; "
                "set SMARTCUSTOMS_DEMO_ADMIN_PASSWORD in production"
            )
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'smartcustoms.db').resolve()}"

    def shown(self) -> dict[str, str]:
        """Effective values with secrets masked, for `smartcustoms config show`."""
        out: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "********"
            if name == "database_url":
                value = _mask_url_password(self.effective_database_url)
            out[name] = str(value)
        return out


def _mask_url_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown as is: it holds no parsed password
        return url
