"""One delivery attempt and its bookkeeping, for every channel: claiming rows (so two
overlapping runs never send one twice), trying with retries and back-off, recording the
outcome and when to try again."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from core.delivery.transport import SendError
from models.accounts import User
from models.notification import Delivery, DeliveryState, Notification

log = logging.getLogger(__name__)

RETRY_AFTER = timedelta(minutes=10)
RETRY_CAP = timedelta(days=1)
GIVE_UP = timedelta(days=7)
#: How long a claimed row is out of other runs' reach if this one dies while sending.
LEASE = timedelta(minutes=10)
CHUNK = 500
Event = tuple[str, str | None, int | None, str]


@dataclass(frozen=True)
class Outbound:
    """A message as the dry run lists it."""

    channel: str
    target: str
    recipients: str
    language: str
    text: str


@dataclass
class Report:
    """What one run did, per channel (counted in notices, not messages)."""

    planned: Counter[str] = field(default_factory=Counter)
    sent: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    outbound: list[Outbound] = field(default_factory=list)


def event_of(notice: Notification) -> Event:
    return (notice.key, notice.table_name, notice.row_id, notice.occasion)


@dataclass(frozen=True)
class Due:
    """A row due for sending, as read at the start of the run: claims and outcomes are plain
    UPDATEs (an ORM-synchronised one per row would scan every loaded row each time)."""

    id: int
    channel: str
    target: str
    user_id: int
    attempts: int
    created_at: datetime
    notice: Notification
    user: User


def claim(session: Session, rows: list[Due], now: datetime) -> set[int]:
    """Take rows for this run: counts the attempt and holds each for ``LEASE``; a row another
    run took first (its attempt count moved) or that was sent meanwhile is left out. One
    UPDATE … RETURNING per attempt count and chunk, not one per row."""
    taken: set[int] = set()
    by_attempts: dict[int, list[int]] = {}
    for row in rows:
        by_attempts.setdefault(row.attempts, []).append(row.id)
    for attempts, ids in by_attempts.items():
        for start in range(0, len(ids), CHUNK):
            result = session.execute(
                update(Delivery)
                .where(
                    col(Delivery.id).in_(ids[start : start + CHUNK]),
                    Delivery.attempts == attempts,
                    Delivery.state != DeliveryState.SENT,
                )
                .values(attempts=Delivery.attempts + 1, next_attempt_at=now + LEASE)
                .returning(Delivery.id)
                .execution_options(synchronize_session=False)
            )
            taken |= set(result.scalars().all())
    return taken


def try_send(
    send: Callable[[], None], what: str, *, retries: int = 0, backoff: float = 0.0
) -> tuple[int, SendError | None]:
    """Send with up to ``retries`` retries on transient errors, pausing ``backoff`` seconds
    doubled each time; returns (attempts made, the last error or None). No database: safe to
    run in a worker thread."""
    tries = 1
    while True:
        try:
            send()
            log.info("%s: sent on attempt %d", what, tries)
            return tries, None
        except SendError as exc:
            log.warning("%s: attempt %d failed: %s", what, tries, exc)
            if not exc.transient or tries > retries:
                return tries, exc
            time.sleep(backoff * 2 ** (tries - 1))
            tries += 1


def record(
    session: Session,
    rows: list[Due],
    now: datetime,
    report: Report,
    tries: int,
    error: SendError | None,
) -> None:
    """Write the outcome on the claimed ``rows`` (the caller commits)."""
    ids = [r.id for r in rows]
    outcome: dict[str, Any] = {"attempts": Delivery.attempts + tries - 1}
    groups: dict[datetime | None, list[int]]  # rows by their next try
    if error is None:
        outcome |= {"state": DeliveryState.SENT, "sent_at": now, "last_error": None}
        groups = {None: ids}
    else:
        outcome |= {"state": DeliveryState.FAILED, "last_error": str(error)[:500]}
        groups = {}
        for row in rows:
            groups.setdefault(next_try(row.created_at, now), []).append(row.id)
    for when, group in groups.items():
        session.execute(
            update(Delivery)
            .where(col(Delivery.id).in_(group))
            .values(**outcome, next_attempt_at=when)
            .execution_options(synchronize_session=False)
        )
    (report.failed if error else report.sent)[rows[0].channel] += len(rows)


def next_try(planned: datetime, now: datetime) -> datetime | None:
    """Wait as long again as the row has waited (10 min to a day); None once a week old."""
    waited = now - (planned if planned.tzinfo else planned.replace(tzinfo=UTC))
    if waited >= GIVE_UP:
        return None
    return now + min(max(waited, RETRY_AFTER), RETRY_CAP)
