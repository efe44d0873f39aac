"""Planning and sending deliveries: what ``safeloop remind`` does after writing the notices.

``plan`` gives every fresh unread notice a ``Delivery`` row per channel its recipient wants
(unique per notice, channel and target, so a rerun adds nothing). ``send_due`` sends the rows
whose ``next_attempt_at`` has come: each row is claimed first (a conditional UPDATE on its
attempt count, committed), so two overlapping runs never send it twice; a sent row is never
due again. A failed one waits as long again as it has waited so far (10 minutes at least, a
day at most) and is given up (``next_attempt_at`` cleared) a week after it was planned; the
delivery log can still send it by hand.

A webhook gets one POST per event (one message about one record on one occasion), naming every
recipient who wants it, rather than one per recipient: a team chat told of an overdue hazard
once, not once per manager. The event's first notice carries its ``Delivery`` row.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.config import Settings, Webhook
from core.delivery.messages import (
    SEVERITY_RANK,
    WebhookNotice,
    email_message,
    notice_text,
    reader_language,
    webhook_request,
)
from core.delivery.prefs import wants
from core.delivery.transport import Mailer, SendError, post
from models.accounts import User
from models.notification import Delivery, DeliveryState, Notification

log = logging.getLogger(__name__)

#: Notices older than this are not sent for the first time: a first run on an old database,
#: or e-mail switched on after a year, must not mail the backlog.
FRESH = timedelta(days=7)
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


def last_notice_id(session: Session) -> int:
    """The newest notice's id: what a dry run lists as new are the ones after it."""
    return session.exec(select(func.max(Notification.id))).one() or 0


def inbox_lines(session: Session, settings: Settings, after_id: int) -> list[Outbound]:
    """The notices written after ``after_id``, each in its recipient's language."""
    stmt = (
        select(Notification, User)
        .join(User, col(User.id) == Notification.user_id)
        .where(col(Notification.id) > after_id)
        .order_by(col(Notification.id))
    )
    lines = []
    for notice, user in session.exec(stmt).all():
        lang = reader_language(user, settings)
        lines.append(
            Outbound("inbox", user.username, user.display_name, lang, notice_text(notice, lang))
        )
    return lines


def deliver(
    session: Session, settings: Settings, now: datetime, *, dry_run: bool = False
) -> Report:
    """Plan the deliveries the fresh notices need, then send every row due at ``now``.

    Outcomes are committed as they happen (a message sent must never be sent again because a
    later one crashed the run), so the caller commits its own work first. ``dry_run`` sends
    and commits nothing and lists the messages; the caller rolls back the planned rows."""
    report = Report(planned=plan(session, settings, now))
    send_due(session, settings, now, report, dry_run=dry_run)
    return report


def plan(session: Session, settings: Settings, now: datetime) -> Counter[str]:
    """Add the missing rows for the unread notices of the last week; returns how many."""
    notices = list(
        session.exec(
            select(Notification)
            .where(col(Notification.read_at).is_(None), Notification.created_at >= now - FRESH)
            .order_by(col(Notification.id))
        ).all()
    )
    users = _active_users(session, {n.user_id for n in notices})
    rows: list[dict[str, Any]] = []
    if settings.smtp_host:
        rows += _plan_email(session, notices, users, now)
    for hook in settings.webhooks:
        rows += _plan_webhook(session, hook, notices, users, now)
    try:
        if rows:  # a bulk INSERT: thousands of ORM objects would cost seconds
            session.execute(insert(Delivery), rows)
    except IntegrityError:  # another run planned the same rows a moment ago: it sends them
        session.rollback()
        log.warning("deliveries planned by another run at the same time; leaving them to it")
        return Counter()
    return Counter(r["channel"] for r in rows)


def _active_users(session: Session, ids: Iterable[int]) -> dict[int, User]:
    wanted = sorted(ids)
    found: dict[int, User] = {}
    for i in range(0, len(wanted), CHUNK):
        stmt = select(User).where(
            col(User.id).in_(wanted[i : i + CHUNK]), User.active, col(User.deleted_at).is_(None)
        )
        found |= {u.id: u for u in session.exec(stmt).all() if u.id is not None}
    return found


def _new_row(notice: Notification, channel: str, target: str, now: datetime) -> dict[str, Any]:
    return {
        "notification_id": notice.id,
        "user_id": notice.user_id,
        "channel": channel,
        "target": target,
        "enterprise_id": notice.enterprise_id,
        "state": DeliveryState.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def _plan_email(
    session: Session, notices: list[Notification], users: dict[int, User], now: datetime
) -> list[dict[str, Any]]:
    ids = [n.id for n in notices]
    have: set[int] = set()
    for i in range(0, len(ids), CHUNK):
        stmt = select(Delivery.notification_id).where(
            Delivery.channel == "email", col(Delivery.notification_id).in_(ids[i : i + CHUNK])
        )
        have |= set(session.exec(stmt).all())
    rows = []
    for n in notices:
        user = users.get(n.user_id)
        if n.id not in have and user and user.email and wants(user, "email", n.severity):
            rows.append(_new_row(n, "email", user.email, now))
    return rows


def _event(notice: Notification) -> Event:
    return (notice.key, notice.table_name, notice.row_id, notice.occasion)


def _plan_webhook(
    session: Session,
    hook: Webhook,
    notices: list[Notification],
    users: dict[int, User],
    now: datetime,
) -> list[dict[str, Any]]:
    floor = SEVERITY_RANK[hook.min_severity]
    first: dict[Event, Notification] = {}
    for n in notices:
        user = users.get(n.user_id)
        if (
            SEVERITY_RANK.get(n.severity, 0) >= floor
            and user
            and wants(user, "webhook", n.severity)
        ):
            first.setdefault(_event(n), n)
    posted = _posted_events(session, hook.name, list(first))
    return [_new_row(n, "webhook", hook.name, now) for e, n in first.items() if e not in posted]


def _posted_events(session: Session, target: str, events: list[Event]) -> set[Event]:
    """The events among ``events`` that already have a row on this webhook."""
    found: set[Event] = set()
    for i in range(0, len(events), CHUNK):
        chunk = events[i : i + CHUNK]
        rows = {e[2] for e in chunk}
        stmt = (
            select(
                Notification.key,
                Notification.table_name,
                Notification.row_id,
                Notification.occasion,
            )
            .join(Delivery, col(Delivery.notification_id) == Notification.id)
            .where(
                Delivery.channel == "webhook",
                Delivery.target == target,
                col(Notification.key).in_({e[0] for e in chunk}),
                or_(
                    col(Notification.row_id).in_(rows - {None}),
                    col(Notification.row_id).is_(None),
                ),
            )
        )
        found |= {tuple(r) for r in session.execute(stmt).all()}  # type: ignore[misc]
    return found & set(events)


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


def send_due(
    session: Session,
    settings: Settings,
    now: datetime,
    report: Report | None = None,
    *,
    dry_run: bool = False,
    only: Collection[int] | None = None,
) -> Report:
    """Send the unsent rows due at ``now`` (or exactly the rows ``only`` names, due or not)."""
    report = report or Report()
    stmt = (
        select(Delivery, Notification, User)
        .join(Notification, col(Notification.id) == Delivery.notification_id)
        .join(User, col(User.id) == Delivery.user_id)
        .where(Delivery.state != DeliveryState.SENT, User.active, col(User.deleted_at).is_(None))
        .order_by(col(Delivery.id))
    )
    if only is None:
        stmt = stmt.where(col(Delivery.next_attempt_at) <= now)
    else:
        stmt = stmt.where(col(Delivery.id).in_(list(only)))
    due = [
        Due(d.id or 0, d.channel, d.target, d.user_id, d.attempts, d.created_at, n, u)
        for d, n, u in session.exec(stmt).all()
    ]
    _send_email(session, settings, now, [d for d in due if d.channel == "email"], report, dry_run)
    hooks = {h.name: h for h in settings.webhooks}
    for row in due:
        if row.channel != "webhook":
            continue
        hook = hooks.get(row.target)
        if hook is None:
            log.warning(
                "delivery %s: no webhook named %r is configured any more", row.id, row.target
            )
            continue
        _send_webhook(session, settings, hook, now, row, report, dry_run)
    return report


def _send_email(
    session: Session,
    settings: Settings,
    now: datetime,
    due: list[Due],
    report: Report,
    dry_run: bool,
) -> None:
    """One message per recipient and address, holding all their notices due."""
    if due and not settings.smtp_host:
        log.warning("%d e-mail deliveries wait: no smtp_host is configured", len(due))
        return
    batches: dict[tuple[int, str], list[Due]] = {}
    for row in due:
        batches.setdefault((row.user_id, row.target), []).append(row)
    mailer = Mailer(settings)
    try:
        for (_, address), batch in batches.items():
            user = batch[0].user
            if dry_run:
                message = email_message(settings, user, address, [r.notice for r in batch])
                body = message.get_content().rstrip()
                report.outbound.append(
                    Outbound(
                        "email",
                        address,
                        user.display_name,
                        reader_language(user, settings),
                        f"{message['Subject']}\n{body}",
                    )
                )
                continue
            claimed = [r for r in batch if _claim(session, r, now)]
            session.commit()
            if claimed:
                message = email_message(settings, user, address, [r.notice for r in claimed])
                _attempt(session, claimed, now, report, lambda m=message: mailer.send(m))
    finally:
        mailer.close()


def _send_webhook(
    session: Session,
    settings: Settings,
    hook: Webhook,
    now: datetime,
    row: Due,
    report: Report,
    dry_run: bool,
) -> None:
    item = WebhookNotice(row.id, row.notice, _recipients(session, row.notice))
    if dry_run:
        request = webhook_request(settings, hook, item, time.time())
        report.outbound.append(
            Outbound(
                "webhook",
                hook.name,
                "、".join(u.display_name for u in item.recipients),
                hook.language or settings.default_language,
                request.body.decode(),
            )
        )
        return
    claimed = _claim(session, row, now)
    session.commit()
    if not claimed:
        return

    def attempt() -> None:
        post(webhook_request(settings, hook, item, time.time()))

    _attempt(
        session,
        [row],
        now,
        report,
        attempt,
        retries=settings.webhook_retries,
        backoff=settings.webhook_backoff_s,
    )


def _recipients(session: Session, notice: Notification) -> list[User]:
    """Everyone the event is for who wants it by webhook."""
    stmt = (
        select(User)
        .join(Notification, col(Notification.user_id) == User.id)
        .where(
            Notification.key == notice.key,
            col(Notification.table_name).is_not_distinct_from(notice.table_name),
            col(Notification.row_id).is_not_distinct_from(notice.row_id),
            Notification.occasion == notice.occasion,
            User.active,
            col(User.deleted_at).is_(None),
        )
        .order_by(col(User.display_name), col(User.id))
    )
    return [u for u in session.exec(stmt).all() if wants(u, "webhook", notice.severity)]


def _claim(session: Session, row: Due, now: datetime) -> bool:
    """Take the row for this run: counts the attempt and holds it for ``LEASE``; False when
    another run took it first (its attempt count moved) or it was sent meanwhile."""
    result: Any = session.execute(
        update(Delivery)
        .where(
            col(Delivery.id) == row.id,
            Delivery.attempts == row.attempts,
            Delivery.state != DeliveryState.SENT,
        )
        .values(attempts=Delivery.attempts + 1, next_attempt_at=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


def _attempt(
    session: Session,
    rows: list[Due],
    now: datetime,
    report: Report,
    send: Callable[[], None],
    *,
    retries: int = 0,
    backoff: float = 0.0,
) -> None:
    """Send with up to ``retries`` retries on transient errors, pausing ``backoff`` seconds
    doubled each time; record the outcome on the claimed ``rows`` and commit it."""
    channel, target, ids = rows[0].channel, rows[0].target, [r.id for r in rows]
    tries, error = 1, None
    while True:
        try:
            send()
            error = None
            log.info("%s to %s (deliveries %s): sent on attempt %d", channel, target, ids, tries)
            break
        except SendError as exc:
            error = exc
            log.warning(
                "%s to %s (deliveries %s): attempt %d failed: %s", channel, target, ids, tries, exc
            )
            if not exc.transient or tries > retries:
                break
            time.sleep(backoff * 2 ** (tries - 1))
            tries += 1
    outcome: dict[str, Any] = {"attempts": Delivery.attempts + tries - 1}
    groups: dict[datetime | None, list[int]]  # rows by their next try
    if error is None:
        outcome |= {"state": DeliveryState.SENT, "sent_at": now, "last_error": None}
        groups = {None: ids}
    else:
        outcome |= {"state": DeliveryState.FAILED, "last_error": str(error)[:500]}
        groups = {}
        for row in rows:
            groups.setdefault(_next_try(row.created_at, now), []).append(row.id)
    for next_try, group in groups.items():
        session.execute(
            update(Delivery)
            .where(col(Delivery.id).in_(group))
            .values(**outcome, next_attempt_at=next_try)
            .execution_options(synchronize_session=False)
        )
    (report.failed if error else report.sent)[channel] += len(rows)
    session.commit()


def _next_try(planned: datetime, now: datetime) -> datetime | None:
    """Wait as long again as the row has waited (10 min to a day); None once a week old."""
    waited = now - (planned if planned.tzinfo else planned.replace(tzinfo=UTC))
    if waited >= GIVE_UP:
        return None
    return now + min(max(waited, RETRY_AFTER), RETRY_CAP)
