"""Webhook deliveries: a generic receiver gets one POST per event, a chat robot one digest
per run; the POSTs go out ``webhook_workers`` at a time."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlmodel import Session, col, or_, select

from core.config import Settings, Webhook
from core.delivery.messages import SEVERITY_RANK, HttpRequest, WebhookNotice, webhook_request
from core.delivery.prefs import wants
from core.delivery.sending import (
    CHUNK,
    Due,
    Event,
    Outbound,
    Report,
    claim,
    event_of,
    log,
    record,
    try_send,
)
from core.delivery.transport import SendError, post
from models.accounts import User
from models.notification import Notification

#: One webhook message: the rows it delivers, where to, and what it says.
Job = tuple[list[Due], Webhook, list[WebhookNotice]]


def send_webhooks(
    session: Session,
    settings: Settings,
    now: datetime,
    due: list[Due],
    report: Report,
    dry_run: bool,
) -> None:
    """A generic webhook gets one POST per event; a chat robot one digest per run (robots
    take about 20 messages a minute: a first run's thousands of events must not be a
    thousand messages). Rows are claimed in one commit per batch, the POSTs go out
    ``webhook_workers`` at a time and the outcomes are written in one commit."""
    hooks = {h.name: h for h in settings.webhooks}
    for row in [r for r in due if r.target not in hooks]:
        log.warning("delivery %s: no webhook named %r is configured any more", row.id, row.target)
    due = [r for r in due if r.target in hooks]
    recipients = _recipients(session, [r.notice for r in due])

    def item(row: Due) -> WebhookNotice:
        return WebhookNotice(row.id, row.notice, recipients[event_of(row.notice)])

    generic = [r for r in due if hooks[r.target].format == "generic"]
    batches: list[list[Job]] = [
        [([row], hooks[row.target], [item(row)]) for row in generic[start : start + CHUNK]]
        for start in range(0, len(generic), CHUNK)
    ]
    for hook in hooks.values():
        rows = [r for r in due if r.target == hook.name and hook.format != "generic"]
        rows.sort(key=lambda r: (-SEVERITY_RANK.get(r.notice.severity, 0), r.id))
        if rows:
            batches.append([(rows, hook, [item(r) for r in rows])])
    for batch in batches:
        _post_batch(session, settings, now, batch, report, dry_run)


def _post_batch(
    session: Session,
    settings: Settings,
    now: datetime,
    batch: list[Job],
    report: Report,
    dry_run: bool,
) -> None:
    if dry_run:
        for _rows, hook, items in batch:
            request = webhook_request(settings, hook, items, time.time())
            names = {u.display_name: None for i in items for u in i.recipients}
            report.outbound.append(
                Outbound(
                    "webhook",
                    hook.name,
                    "、".join(names),
                    hook.language or settings.default_language,
                    request.body.decode(),
                )
            )
        return
    taken = claim(session, [row for rows, _hook, _items in batch for row in rows], now)
    session.commit()
    claimed: list[Job] = []
    for rows, hook, items in batch:
        kept = [(r, i) for r, i in zip(rows, items, strict=True) if r.id in taken]
        if kept:
            claimed.append(([r for r, _ in kept], hook, [i for _, i in kept]))
    # Signed here, in this thread: the workers only POST (the session is not theirs).
    requests = [
        (
            f"webhook to {hook.name} ({_ids(rows)})",
            webhook_request(settings, hook, items, time.time()),
        )
        for rows, hook, items in claimed
    ]

    def attempt(job: tuple[str, HttpRequest]) -> tuple[int, SendError | None]:
        what, request = job
        return try_send(
            lambda: post(request),
            what,
            retries=settings.webhook_retries,
            backoff=settings.webhook_backoff_s,
        )

    with ThreadPoolExecutor(max_workers=settings.webhook_workers) as pool:
        outcomes = list(pool.map(attempt, requests))
    results: dict[tuple[int, SendError | None], list[Due]] = {}
    for (rows, _hook, _items), outcome in zip(claimed, outcomes, strict=True):
        results.setdefault(outcome, []).extend(rows)
    for (tries, error), rows in results.items():  # the sent ones in one UPDATE
        record(session, rows, now, report, tries, error)
    session.commit()


def _recipients(session: Session, notices: list[Notification]) -> dict[Event, list[User]]:
    """Per event, everyone it is for who wants it by webhook (one query per chunk)."""
    wanted = {event_of(n): n.severity for n in notices}
    found: dict[Event, list[User]] = {e: [] for e in wanted}
    rows = sorted({n.row_id for n in notices if n.row_id is not None})
    keys = sorted({n.key for n in notices})
    for i in range(0, max(len(rows), 1), CHUNK):
        stmt = (
            select(Notification, User)
            .join(User, col(User.id) == Notification.user_id)
            .where(col(Notification.key).in_(keys), User.active, col(User.deleted_at).is_(None))
            .order_by(col(User.display_name), col(User.id))
        )
        chunk = rows[i : i + CHUNK]
        stmt = stmt.where(
            or_(col(Notification.row_id).in_(chunk), col(Notification.row_id).is_(None))
        )
        for notice, user in session.exec(stmt).all():
            event = event_of(notice)
            wanting = event in found and wants(user, "webhook", wanted[event])
            if wanting and user not in found[event]:
                found[event].append(user)
    return found


def _ids(rows: list[Due]) -> str:
    """The deliveries a POST carries, for the log: one id, or how many and the first."""
    if len(rows) == 1:
        return f"delivery {rows[0].id}"
    return f"{len(rows)} deliveries, first {rows[0].id}"
