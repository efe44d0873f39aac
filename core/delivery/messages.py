"""What a delivery says: the notice in the reader's language, with a link to its record.

An e-mail is written in its recipient's language and gathers every notice due for them in one
run (a manager told of twelve overdue certificates gets one message, not twelve). A webhook
message names the people the notice is for and is written in the webhook's language: a group
chat has no single reader.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlencode

from core.config import Settings, Webhook
from core.crud.registry import get_spec
from core.i18n import LANGUAGES, t, t_keys
from models.accounts import User
from models.notification import Notification

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
SUBJECT_CHARS = 120
#: A robot's digest: this many events spelled out, and at most this many bytes of text.
DIGEST_LINES = 10
DIGEST_BYTES = 2000


def reader_language(user: User, settings: Settings) -> str:
    return user.language if user.language in LANGUAGES else settings.default_language


def notice_text(notice: Notification, lang: str) -> str:
    """The notice as the inbox shows it (parameters that are catalogue keys translated)."""
    return t_keys(notice.key, lang, notice.params or {})


def record_link(settings: Settings, table_name: str | None, row_id: int | None) -> str | None:
    """``<public_url>/<page>?id=<row>``: the record's page opens with it selected, after the
    log-in if needed. None without a public address or for a table without a page."""
    if not settings.public_url or table_name is None or row_id is None:
        return None
    try:
        page = get_spec(table_name).page
    except KeyError:
        return None
    return f"{settings.public_url}/{PurePosixPath(page).stem}?id={row_id}" if page else None


def email_message(
    settings: Settings, user: User, address: str, notices: list[Notification]
) -> EmailMessage:
    """One plain-text e-mail with the user's notices, most severe first."""
    lang = reader_language(user, settings)
    ranked = sorted(notices, key=lambda n: (-SEVERITY_RANK.get(n.severity, 0), n.id or 0))
    texts = [notice_text(n, lang) for n in ranked]
    if len(texts) == 1:
        subject = t("delivery.email.subject_one", lang, text=_clip(texts[0]))
    else:
        subject = t("delivery.email.subject_many", lang, count=len(texts))
    lines = [t("delivery.email.greeting", lang, name=user.display_name), ""]
    for notice, text in zip(ranked, texts, strict=True):
        lines.append(f"- {text}")
        if link := record_link(settings, notice.table_name, notice.row_id):
            lines.append(f"  {link}")
    lines += ["", "-- ", t("delivery.email.footer", lang)]
    if settings.public_url:
        lines.append(f"{settings.public_url}/account")
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.smtp_from
    message["To"] = address
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=address.rsplit("@", 1)[-1])
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    message.set_content("\n".join(lines))
    return message


def _clip(text: str) -> str:
    return text if len(text) <= SUBJECT_CHARS else text[: SUBJECT_CHARS - 1] + "…"


@dataclass(frozen=True)
class WebhookNotice:
    """A notice as a webhook receives it: one per event, naming everyone it is for."""

    delivery_id: int
    notice: Notification
    recipients: list[User]

    def text(self, lang: str, link: str | None) -> str:
        names = "、".join(u.display_name for u in self.recipients)
        lines = [t("delivery.webhook.text", lang, text=notice_text(self.notice, lang))]
        if names:
            lines.append(t("delivery.webhook.recipients", lang, names=names))
        return "\n".join([*lines, link] if link else lines)


@dataclass(frozen=True)
class HttpRequest:
    """One POST as made for one attempt (its signatures hold the attempt's time)."""

    url: str
    body: bytes
    headers: dict[str, str]


def digest_text(settings: Settings, items: Sequence[WebhookNotice], lang: str) -> str:
    """A chat robot's one message for a run: the first ``DIGEST_LINES`` events (most severe
    first), then how many more and where to see them; short enough for every robot (WeCom
    takes 2,048 bytes of text)."""
    if len(items) == 1:
        notice = items[0].notice
        return items[0].text(lang, record_link(settings, notice.table_name, notice.row_id))
    lines = [t("delivery.webhook.digest", lang, count=len(items))]
    for item in items[:DIGEST_LINES]:
        lines.append("· " + notice_text(item.notice, lang))
    more = len(items) - DIGEST_LINES
    if more > 0:
        lines.append(t("delivery.webhook.digest_more", lang, count=more))
    if settings.public_url:
        lines.append(settings.public_url)
    text = "\n".join(lines)
    while len(text.encode()) > DIGEST_BYTES and len(lines) > 2:
        lines.pop(-2 if settings.public_url else -1)
        text = "\n".join(lines)
    return text


def webhook_request(
    settings: Settings, hook: Webhook, items: Sequence[WebhookNotice], timestamp: float
) -> HttpRequest:
    """The POST for ``items`` at ``timestamp`` (Unix seconds: signatures are made per
    attempt, robots reject old ones): a generic webhook's one event, or a robot's digest of
    the run. Every request carries ``X-SafeLoop-Timestamp`` and, with a secret,
    ``X-SafeLoop-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">``; DingTalk and
    Feishu robots also get their own signature, in the address or the body."""
    lang = hook.language or settings.default_language
    item = items[0]
    notice = item.notice
    link = record_link(settings, notice.table_name, notice.row_id)
    text = digest_text(settings, items, lang)
    secret = hook.secret.get_secret_value() if hook.secret else ""
    url = hook.url.get_secret_value()
    seconds = int(timestamp)
    payload: dict[str, Any]
    if hook.format == "generic":
        payload = {
            "delivery_id": item.delivery_id,
            "event": notice.key,
            "severity": notice.severity,
            "text": notice_text(notice, lang),
            "link": link,
            "language": lang,
            "table": notice.table_name,
            "row_id": notice.row_id,
            "occasion": notice.occasion,
            "recipients": [
                {"username": u.username, "display_name": u.display_name} for u in item.recipients
            ],
        }
    elif hook.format == "feishu":
        payload = {"msg_type": "text", "content": {"text": text}}
        if secret:
            payload |= {"timestamp": str(seconds), "sign": _feishu_sign(secret, seconds)}
    else:  # WeCom and DingTalk robots share the text message shape
        payload = {"msgtype": "text", "text": {"content": text}}
        if hook.format == "dingtalk" and secret:
            millis = int(timestamp * 1000)
            sign = _b64_hmac(secret.encode(), f"{millis}\n{secret}".encode())
            joiner = "&" if "?" in url else "?"
            url += joiner + urlencode({"timestamp": millis, "sign": sign})
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-SafeLoop-Timestamp": str(seconds),
    }
    if secret:
        headers["X-SafeLoop-Signature"] = "sha256=" + signature(secret, str(seconds), body)
    return HttpRequest(url, body, headers)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``<timestamp>.<body>``: what a receiver recomputes to trust a POST."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _b64_hmac(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def _feishu_sign(secret: str, seconds: int) -> str:
    """Feishu keys the HMAC with ``<timestamp>\\n<secret>`` over an empty message."""
    return _b64_hmac(f"{seconds}\n{secret}".encode(), b"")
