"""Times are stored in UTC and shown in the site's zone (``Settings.timezone``)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from core.config import get_settings


def site_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def local(moment: datetime) -> datetime:
    """``moment`` in the configured zone (naive values are taken as UTC, as SQLite returns)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(site_zone())


def shown(moment: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return local(moment).strftime(fmt)


def site_today() -> date:
    """Today's date where the site is: deadlines and due dates are local calendar days."""
    return datetime.now(site_zone()).date()


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months, clamped to the month's last day (31 Jan + 1 →
    28/29 Feb). Count from a fixed start, never chain: Jan 31 → Feb 29 (2028) → Mar 31."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year = day.year + years
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))
