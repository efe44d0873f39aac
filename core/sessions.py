"""Server-side log-in sessions: what lets a log-in survive a reload, a new tab or a pasted link.

The browser holds a random token in an HttpOnly cookie; the database holds only its sha256,
with an idle expiry (``session_idle_minutes``), an absolute one (``session_absolute_hours``)
and the moment it was revoked. Log-out, a password change or reset, a lock, deactivation and
a role change revoke it; every run of every tab checks it, so a log-out in one tab ends the
others at their next click.

A log-in first gets a one-use ticket (about a minute): the log-in form, which cannot set
headers, sends the browser to ``/_safeloop/session?ticket=...`` where the ticket is traded
for the cookie's token (``core.web``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from core.config import Settings
from core.db import utcnow
from models.accounts import UserSession

COOKIE = "safeloop_session"
#: The language the browser last used, kept by the log-out so the log-in form keeps it.
LANG_COOKIE = "safeloop_lang"
#: Served next to the app by ``core.web``: trade a ticket for the cookie; clear it.
SESSION_PATH = "/_safeloop/session"
LOGOUT_PATH = "/_safeloop/logout"
TICKET_SECONDS = 60
#: ``last_seen_at`` is written at most this often per session (every run reads it).
TOUCH_EVERY = timedelta(seconds=60)
#: Expired and revoked rows are kept this long (who was logged in from where), then purged.
KEEP_ENDED = timedelta(days=30)


@dataclass(frozen=True)
class Issued:
    """A new session: its row id (the tab keeps it) and the ticket the browser trades."""

    session_id: int
    ticket: str


def cookie_url(ticket: str) -> str:
    """What the logged-in tab fetches in the background to get its cookie (no page load)."""
    return f"{SESSION_PATH}?{urlencode({'ticket': ticket, 'fetch': '1'})}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_expired(
    last_seen: datetime | None, settings: Settings, now: datetime | None = None
) -> bool:
    """True once a session has been idle longer than ``session_idle_minutes``."""
    if last_seen is None:
        return True
    return (now or utcnow()) - last_seen > timedelta(minutes=settings.session_idle_minutes)


def _live(row: UserSession | None, settings: Settings, now: datetime) -> bool:
    return (
        row is not None
        and row.revoked_at is None
        and now < row.expires_at
        and not idle_expired(row.last_seen_at, settings, now)
    )


def create(
    session: Session,
    user_id: int,
    settings: Settings,
    *,
    user_agent: str = "",
    ip: str | None = None,
    now: datetime | None = None,
) -> Issued:
    """Open a session for a user who just proved their password."""
    now = now or utcnow()
    session.execute(delete(UserSession).where(col(UserSession.expires_at) < now - KEEP_ENDED))
    ticket = secrets.token_urlsafe(32)
    row = UserSession(
        user_id=user_id,
        token_hash=token_hash(ticket),
        ticket_until=now + timedelta(seconds=TICKET_SECONDS),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.session_absolute_hours),
        user_agent=(user_agent or "")[:200],
        ip=(ip or None) and ip[:45],
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return Issued(row.id, ticket)


def exchange(
    session: Session, ticket: str, settings: Settings, now: datetime | None = None
) -> str | None:
    """Trade a ticket (once, within its minute) for the token the cookie will carry."""
    now = now or utcnow()
    row = session.exec(
        select(UserSession).where(UserSession.token_hash == token_hash(ticket))
    ).first()
    if row is None or row.ticket_until is None or row.ticket_until < now:
        return None
    if not _live(row, settings, now):
        return None
    token = secrets.token_urlsafe(32)
    # Conditional: of two requests with the same ticket, one wins.
    done = session.execute(
        update(UserSession)
        .where(col(UserSession.id) == row.id, col(UserSession.ticket_until).is_not(None))
        .values(token_hash=token_hash(token), ticket_until=None, last_seen_at=now)
    )
    return token if done.rowcount == 1 else None


def _touch(session: Session, row: UserSession, now: datetime) -> None:
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)


def resolve(
    session: Session, token: str, settings: Settings, now: datetime | None = None
) -> UserSession | None:
    """The live session a cookie's token names (and note the visit), or None."""
    if not token:
        return None
    now = now or utcnow()
    row = session.exec(
        select(UserSession).where(
            UserSession.token_hash == token_hash(token), col(UserSession.ticket_until).is_(None)
        )
    ).first()
    if row is None or not _live(row, settings, now):
        return None
    _touch(session, row, now)
    return row


def check(
    session: Session, session_id: int, settings: Settings, now: datetime | None = None
) -> int | None:
    """A tab's run: the user id while its session is live (noting the visit), else None."""
    now = now or utcnow()
    row = session.get(UserSession, session_id)
    if row is None or not _live(row, settings, now):
        return None
    _touch(session, row, now)
    return row.user_id


def revoke(session: Session, session_id: int, now: datetime | None = None) -> None:
    session.execute(
        update(UserSession)
        .where(col(UserSession.id) == session_id, col(UserSession.revoked_at).is_(None))
        .values(revoked_at=now or utcnow())
    )


def revoke_token(session: Session, token: str, now: datetime | None = None) -> None:
    """Log-out by cookie (the log-out address), whatever tab asked."""
    session.execute(
        update(UserSession)
        .where(
            col(UserSession.token_hash) == token_hash(token),
            col(UserSession.revoked_at).is_(None),
        )
        .values(revoked_at=now or utcnow())
    )


def revoke_all(
    session: Session, user_id: int, now: datetime | None = None, *, keep: int | None = None
) -> int:
    """End every session of a user (password change, lock, deactivation, role change) but
    ``keep``, the one a user changed their own password in."""
    query = update(UserSession).where(
        col(UserSession.user_id) == user_id, col(UserSession.revoked_at).is_(None)
    )
    if keep is not None:
        query = query.where(col(UserSession.id) != keep)
    done = session.execute(query.values(revoked_at=now or utcnow()))
    return int(done.rowcount or 0)
