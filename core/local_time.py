"""Local calendar days and months of UTC timestamps, in SQL, on SQLite and PostgreSQL.

Stored times are UTC; reports count by the site's calendar (``Settings.timezone``). PostgreSQL
converts with the zone itself. SQLite has no zone database, so it shifts by the zone's current
UTC offset: exact for zones without daylight saving (China), an hour off around DST changes
elsewhere.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, cast, extract, func
from sqlmodel import Session


def utc_midnight(day: date, zone: str) -> datetime:
    """The UTC instant a local day starts: period bounds that can use the index on the column."""
    return datetime.combine(day, time(), ZoneInfo(zone)).astimezone(UTC)


def offset_minutes(zone: str) -> int:
    delta = datetime.now(ZoneInfo(zone)).utcoffset() or timedelta()
    return int(delta.total_seconds() // 60)


def local_day(session: Session, column: Any, zone: str) -> Any:
    """The local calendar day of a UTC timestamp column, comparable with a DATE column."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(column, f"{offset_minutes(zone):+d} minutes")
    return cast(func.timezone(zone, column), Date)


def local_month(session: Session, column: Any, zone: str) -> Any:
    """``YYYY-MM`` of a UTC timestamp column in the site's zone."""
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime("%Y-%m", column, f"{offset_minutes(zone):+d} minutes")
    return func.to_char(func.timezone(zone, column), "YYYY-MM")


def days_between(session: Session, start: Any, end: Any) -> Any:
    """Fractional days from one timestamp column to another."""
    if session.get_bind().dialect.name == "sqlite":
        return func.julianday(end) - func.julianday(start)
    return extract("epoch", end - start) / 86400.0
