"""One settings object for the app, the CLI and the detector.

Values come from (highest first) environment variables, the TOML file named by
``SAFELOOP_CONFIG`` (default ``<data dir>/safeloop.toml``) and the defaults below.
Bad values fail loudly at start-up rather than half-way through a request.
"""

from __future__ import annotations

import os
import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
Language = Literal["zh-CN", "en"]
#: Good enough to catch typos in an address; the mail server has the last word.
EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")
Severity = Literal["info", "warning", "error"]


def _web_address(value: str, what: str) -> str:
    """An absolute http(s) address, or a message saying what is wrong (without the value:
    a robot's address carries its access token)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{what} must be an http:// or https:// address")
    if any(c.isspace() or not c.isprintable() for c in value):
        raise ValueError(f"{what} must not contain spaces or control characters")
    return value


#: The audit chain's key, in the data folder unless SAFELOOP_AUDIT_KEY holds it.
AUDIT_KEY_FILE = "audit-chain.key"


class Webhook(BaseModel):
    """One place reminders are POSTed to: our own JSON, or a WeCom / DingTalk / Feishu group
    robot's text message. ``url`` is a secret too (a robot's address holds its access token);
    ``secret`` signs each request; ``language`` is the robot's (a group chat has no one
    recipient whose language to use)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    url: SecretStr
    secret: SecretStr | None = None
    format: Literal["generic", "wecom", "dingtalk", "feishu"] = "generic"
    min_severity: Severity = "info"
    language: Language | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: SecretStr) -> SecretStr:
        _web_address(value.get_secret_value(), "webhook url")
        return value


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
    session_absolute_hours: int = Field(
        default=12, ge=1, le=24 * 90, description="Longest a log-in lasts, however active."
    )
    max_failed_logins: int = Field(
        default=5, ge=1, le=100, description="Wrong passwords before lock."
    )
    lockout_minutes: int = Field(default=15, ge=1, le=24 * 60, description="How long a lock lasts.")
    min_password_length: int = Field(default=8, ge=6, le=128, description="Password policy.")
    max_upload_mb: int = Field(default=20, ge=1, le=1024, description="Largest attachment.")
    max_video_mb: int = Field(
        default=500, ge=1, le=8192, description="Largest video attachment (MP4, WebM)."
    )
    import_max_file_mb: int = Field(
        default=20, ge=1, le=1024, description="Largest workbook an import accepts."
    )
    import_max_unzipped_mb: int = Field(
        default=200, ge=1, le=8192, description="Largest uncompressed size of that workbook."
    )
    import_max_rows: int = Field(
        default=50_000, ge=1, le=1_000_000, description="Most data rows one import accepts."
    )
    page_size: int = Field(default=50, ge=5, le=1000, description="Rows per list page.")
    demo: bool = Field(default=False, description="Load the demo organisation into a new DB.")
    timezone: str = Field(default="Asia/Shanghai", description="Zone times are shown in.")
    dynamic_risk_threshold: int = Field(
        default=2, ge=1, le=1000, description="Open hazards on a risk point that raise its level."
    )
    public_url: str = Field(
        default="", description="Address users open the app at; links in e-mails start with it."
    )
    smtp_host: str = Field(default="", description="Mail server; empty means no e-mail.")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="Mail server port.")
    smtp_security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls", description="STARTTLS (587), implicit TLS (465) or none (25)."
    )
    smtp_username: str = Field(default="", description="Log-in name; empty means no log-in.")
    smtp_password: SecretStr = Field(default=SecretStr(""), description="Log-in password.")
    smtp_from: str = Field(default="", description="Sender address of reminder e-mails.")
    smtp_timeout: float = Field(default=10.0, gt=0, le=300, description="Seconds per reply.")
    smtp_ca_file: Path | None = Field(
        default=None, description="CA certificates trusted for the mail server (private CA)."
    )
    webhooks: list[Webhook] = Field(default_factory=list, description="Webhook receivers.")
    webhook_retries: int = Field(default=3, ge=0, le=10, description="Retries within one run.")
    webhook_backoff_s: float = Field(
        default=0.5, ge=0, le=60, description="First pause between retries; doubles each time."
    )
    webhook_workers: int = Field(
        default=8, ge=1, le=64, description="Webhook POSTs in flight at once."
    )
    console_workers: int = Field(
        default=2, ge=1, le=32, description="SQL console queries running at once, site-wide."
    )
    console_memory_mb: int = Field(
        default=2048, ge=256, le=1 << 20, description="Memory cap of one SQL console worker."
    )
    console_copy_seconds: float = Field(
        default=30.0, gt=0, le=600, description="Time limit for copying a query's tables in."
    )
    console_queue_seconds: float = Field(
        default=10.0, ge=0, le=300, description="How long a query waits for a free worker."
    )
    console_result_mb: int = Field(
        default=64, ge=1, le=1024, description="Largest result a console query sends back."
    )
    audit_key: SecretStr = Field(
        default=SecretStr(""),
        description="Key of the audit chain's MAC; empty: the file <data_dir>/audit-chain.key.",
    )
    audit_anchor_url: SecretStr = Field(
        default=SecretStr(""), description="Where `safeloop audit anchor` also POSTs the head."
    )
    # training practice and points (core.training.practice, core.training.points)
    practice_mastery_streak: int = Field(
        default=2, ge=1, le=20, description="Right answers in a row that master a wrong one."
    )
    points_study: int = Field(default=2, ge=0, le=1000, description="Points per material studied.")
    points_exam_passed: int = Field(default=10, ge=0, le=999, description="Points per passed exam.")
    points_practice_right: int = Field(
        default=1, ge=0, le=1000, description="Points per right practice answer."
    )
    points_practice_daily_cap: int = Field(
        default=20, ge=0, le=10000, description="Most practice points one person earns a day."
    )
    # online study (core.training.study): a gap between beats over twice this counts nothing
    study_beat_seconds: int = Field(
        default=30, ge=5, le=600, description="How often the study page reports time."
    )

    @field_validator("audit_anchor_url")
    @classmethod
    def _anchor_address(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value():
            _web_address(value.get_secret_value(), "audit_anchor_url")
        return value

    @property
    def audit_key_file(self) -> Path:
        return self.data_dir / AUDIT_KEY_FILE

    @property
    def audit_anchors_file(self) -> Path:
        return self.data_dir / "audit-anchors.jsonl"

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

    @field_validator("public_url")
    @classmethod
    def _public_address(cls, value: str) -> str:
        return _web_address(value, "public_url").rstrip("/") if value else value

    @field_validator("smtp_from")
    @classmethod
    def _sender_address(cls, value: str) -> str:
        if value and not EMAIL.fullmatch(value.rsplit("<", 1)[-1].rstrip(">").strip()):
            raise ValueError(f"smtp_from must be an e-mail address, got {value!r}")
        return value

    @field_validator("smtp_ca_file")
    @classmethod
    def _ca_file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"smtp_ca_file names a missing file: {value}")
        return value

    @field_validator("webhooks")
    @classmethod
    def _unique_names(cls, value: list[Webhook]) -> list[Webhook]:
        names = [w.name for w in value]
        if twice := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"webhook names must be unique; repeated: {', '.join(twice)}")
        return value

    @model_validator(mode="after")
    def _mail_complete(self) -> Self:
        if self.smtp_host and not self.smtp_from:
            raise ValueError("smtp_from is required when smtp_host is set")
        if self.smtp_password.get_secret_value() and not self.smtp_username:
            raise ValueError("smtp_password is set but smtp_username is empty")
        return self

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
