"""One settings object for the app, the CLI and the detector.

Values come from (highest first) environment variables, the TOML file named by
``SAFELOOP_CONFIG`` (default ``<data dir>/safeloop.toml``) and the defaults below.
Bad values fail loudly at start-up rather than half-way through a request.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
Language = Literal["zh-CN", "en"]


def _file_values() -> dict[str, Any]:
    """Read the optional TOML config file; a missing default file is fine, a named one not."""
    named = os.environ.get("SAFELOOP_CONFIG")
    data_dir = Path(os.environ.get("SAFELOOP_DATA_DIR", REPO_ROOT / "var"))
    path = Path(named) if named else data_dir / "safeloop.toml"
    if not path.exists():
        if named:
            raise FileNotFoundError(f"SAFELOOP_CONFIG points to a missing file: {path}")
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


class Settings(BaseSettings):
    """Every tunable of SafeLoop, documented in docs/configuration.md."""

    model_config = SettingsConfigDict(env_prefix="SAFELOOP_", extra="forbid")

    data_dir: Path = Field(default=REPO_ROOT / "var", description="Database, uploads, backups.")
    database_url: str = Field(
        default="",
        validation_alias=AliasChoices("DATABASE_URL", "SAFELOOP_DATABASE_URL", "database_url"),
        description="SQLAlchemy URL; empty means the SQLite file <data_dir>/safeloop.db.",
    )
    host: str = Field(default="127.0.0.1", description="Address the app binds to.")
    port: int = Field(default=8501, ge=1, le=65535, description="Port the app listens on.")
    default_language: Language = Field(default="zh-CN", description="Language before log-in.")
    session_idle_minutes: int = Field(
        default=30, ge=1, le=7 * 24 * 60, description="Idle time after which a session ends."
    )
    max_failed_logins: int = Field(
        default=5, ge=1, le=100, description="Wrong passwords before lock."
    )
    lockout_minutes: int = Field(default=15, ge=1, le=24 * 60, description="How long a lock lasts.")
    min_password_length: int = Field(default=8, ge=6, le=128, description="Password policy.")
    max_upload_mb: int = Field(default=20, ge=1, le=1024, description="Largest attachment.")
    page_size: int = Field(default=50, ge=5, le=1000, description="Rows per list page.")
    demo: bool = Field(default=False, description="Load the demo organisation into a new DB.")
    timezone: str = Field(default="Asia/Shanghai", description="Zone times are shown in.")
    dynamic_risk_threshold: int = Field(
        default=2, ge=1, le=1000, description="Open hazards on a risk point that raise its level."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai, UTC)") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("DATABASE_URL must be a sqlite:// or postgresql:// URL")
        if value.startswith("postgresql://"):
            return "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @property
    def db_url(self) -> str:
        """The URL actually used: the configured one or the SQLite file in the data dir."""
        return self.database_url or f"sqlite:///{self.data_dir / 'safeloop.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"

    @property
    def backups_dir(self) -> Path:
        return self.data_dir / "backups"


def load_settings(**overrides: Any) -> Settings:
    """Build settings from file, environment and explicit overrides (tests, CLI flags)."""
    file_values = {k: v for k, v in _file_values().items() if v is not None}
    env_keys = {k.lower().removeprefix("safeloop_") for k in os.environ}
    file_values = {k: v for k, v in file_values.items() if k not in env_keys}
    return Settings(**file_values, **overrides)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings; tests call ``get_settings.cache_clear()`` after changing the env."""
    return load_settings()
