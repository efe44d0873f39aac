"""Stored UTC, shown in the site's zone."""

from datetime import UTC, datetime

import pytest

from core.clock import shown
from core.config import get_settings, load_settings


def test_utc_is_shown_in_beijing_time_by_default() -> None:
    assert shown(datetime(2026, 1, 1, 0, 30, tzinfo=UTC)) == "2026-01-01 08:30"
    assert shown(datetime(2026, 1, 1, 0, 30)) == "2026-01-01 08:30"  # SQLite gives naive UTC


def test_zone_follows_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFELOOP_TIMEZONE", "Europe/Berlin")
    get_settings.cache_clear()
    try:
        assert shown(datetime(2026, 7, 1, 12, 0, tzinfo=UTC)) == "2026-07-01 14:00"
    finally:
        monkeypatch.delenv("SAFELOOP_TIMEZONE")
        get_settings.cache_clear()


def test_unknown_zone_fails_loudly() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        load_settings(timezone="Mars/Olympus")
