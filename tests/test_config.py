"""Settings: the environment beats the file, the file beats defaults, and bad values stop the
start instead of surfacing half-way through a request."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from core.config import Settings, get_settings, load_settings


def _write_toml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_keep_everything_in_the_data_dir(settings: Settings, tmp_path: Path) -> None:
    assert settings.data_dir == tmp_path
    assert settings.db_url == f"sqlite:///{tmp_path / 'safeloop.db'}"
    assert settings.is_sqlite
    assert settings.attachments_dir == tmp_path / "attachments"
    assert settings.backups_dir == tmp_path / "backups"
    assert settings.default_language == "zh-CN"
    assert (settings.max_failed_logins, settings.lockout_minutes) == (5, 15)


def test_file_values_are_used(settings: Settings, tmp_path: Path) -> None:
    _write_toml(
        tmp_path / "safeloop.toml", 'port = 9000\npage_size = 20\ndefault_language = "en"\n'
    )

    loaded = load_settings()

    assert (loaded.port, loaded.page_size, loaded.default_language) == (9000, 20, "en")


def test_environment_overrides_file(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_toml(tmp_path / "safeloop.toml", "port = 9000\npage_size = 20\n")
    monkeypatch.setenv("SAFELOOP_PORT", "9100")

    loaded = load_settings()

    assert loaded.port == 9100  # from the environment
    assert loaded.page_size == 20  # the file still supplies what the environment does not


def test_safeloop_config_names_the_file(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    named = _write_toml(tmp_path / "elsewhere.toml", "session_idle_minutes = 45\n")
    monkeypatch.setenv("SAFELOOP_CONFIG", str(named))

    assert load_settings().session_idle_minutes == 45


def test_missing_named_config_file_fails_loudly(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFELOOP_CONFIG", str(tmp_path / "typo.toml"))

    with pytest.raises(FileNotFoundError, match=r"typo\.toml"):
        load_settings()


def test_unknown_key_in_file_fails_loudly(settings: Settings, tmp_path: Path) -> None:
    """A misspelt setting must not be silently ignored."""
    _write_toml(tmp_path / "safeloop.toml", "prot = 9000\n")

    with pytest.raises(ValidationError, match="prot"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [
        ("SAFELOOP_PORT", "abc", "port"),
        ("SAFELOOP_PORT", "0", "port"),
        ("SAFELOOP_PORT", "70000", "port"),
        ("SAFELOOP_SESSION_IDLE_MINUTES", "0", "session_idle_minutes"),
        ("SAFELOOP_MIN_PASSWORD_LENGTH", "3", "min_password_length"),
        ("SAFELOOP_DEFAULT_LANGUAGE", "fr", "default_language"),
        ("SAFELOOP_DEMO", "maybe", "demo"),
        ("DATABASE_URL", "mysql://root@localhost/safeloop", "database_url"),
    ],
)
def test_bad_environment_values_fail_loudly(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, name: str, value: str, field: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(ValidationError) as excinfo:
        load_settings()

    assert field in str(excinfo.value).lower()  # the message names the setting


def test_mysql_url_is_explained(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://root@localhost/safeloop")

    with pytest.raises(ValidationError, match="sqlite:// or postgresql://"):
        load_settings()


@pytest.mark.parametrize("name", ["DATABASE_URL", "SAFELOOP_DATABASE_URL"])
def test_postgresql_url_gets_the_psycopg_driver(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, "postgresql://safeloop:pw@db:5432/safeloop")

    loaded = load_settings()

    assert loaded.db_url == "postgresql+psycopg://safeloop:pw@db:5432/safeloop"
    assert not loaded.is_sqlite


def test_explicit_driver_is_kept(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")

    assert load_settings().db_url == "postgresql+psycopg://u@h/db"


def test_environment_booleans_and_numbers(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFELOOP_DEMO", "true")
    monkeypatch.setenv("SAFELOOP_LOCKOUT_MINUTES", "30")

    loaded = load_settings()

    assert loaded.demo is True
    assert loaded.lockout_minutes == 30


def test_get_settings_is_cached_until_cleared(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = get_settings()
    monkeypatch.setenv("SAFELOOP_PORT", "8600")

    assert get_settings() is first
    get_settings.cache_clear()
    assert get_settings().port == 8600


def test_overrides_beat_environment(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI flags (explicit overrides) win over everything else."""
    monkeypatch.setenv("SAFELOOP_PORT", "9100")

    assert load_settings(port=9200).port == 9200
