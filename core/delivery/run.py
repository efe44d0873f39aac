"""Planning and sending deliveries: what ``safeloop remind`` does after writing the notices.

``plan`` gives every fresh unread notice a ``Delivery`` row per channel its recipient wants
(unique per notice, channel and target, so a rerun adds nothing). ``send_due`` sends the rows
whose ``next_attempt_at`` has come: each row is claimed first (a conditional UPDATE on its
attempt count, committed), so two overlapping runs never send it twice; a sent row is never
due again. A failed one waits as long again as it has waited so far (10 minutes at least, a
day at most) and is given up (``next_attempt_at`` cleared) a week after it was planned; the
delivery log can still send it by hand.

A generic webhook gets one POST per event (one message about one record on one occasion),
naming every recipient who wants it, rather than one per recipient: a system told of an
overdue hazard once, not once per manager. The event's first notice carries its ``Delivery``
row. A chat robot (WeCom, DingTalk, Feishu) gets one digest per run holding all its events:
robots accept about 20 messages a minute.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.config import Settings, Webhook
from core.delivery.messages import (
    SEVERITY_RANK,
    email_message,
    notice_text,
    reader_language,
)
from core.delivery.prefs import wants
from core.delivery.sending import (
    CHUNK,
    Due,
    Event,
    Outbound,
    Report,
    claim,
    event_of,
    record,
    try_send,
)
from core.delivery.transport import Mailer
from core.delivery.webhooks import send_webhooks
from models.accounts import User
from models.notification import Delivery, DeliveryState, Notification

log = logging.getLogger(__name__)
__all__ = ["Outbound", "Report", "deliver", "inbox_lines", "last_notice_id", "send_due"]

#: Notices older than this are not sent for the first time: a first run on an old database,
#: or e-mail switched on after a year, must not mail the backlog.
FRESH = timedelta(days=7)


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
            first.setdefault(event_of(n), n)
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
    send_webhooks(
        session, settings, now, [d for d in due if d.channel == "webhook"], report, dry_run
    )
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
            taken = claim(session, batch, now)
            claimed = [r for r in batch if r.id in taken]
            session.commit()
            if claimed:
                message = email_message(settings, user, address, [r.notice for r in claimed])
                ids = [r.id for r in claimed]
                tries, error = try_send(
                    lambda m=message: mailer.send(m), f"email to {address} {ids}"
                )
                record(session, claimed, now, report, tries, error)
                session.commit()
    finally:
        mailer.close()
