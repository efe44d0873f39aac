"""Reminders outside the app: e-mail through a real SMTP server the test starts (plain,
STARTTLS and implicit TLS, with a log-in), webhooks to a real HTTP server (signed, retried,
never duplicated), the users' channel choices and the delivery log.

Cast: inspector_a reads Chinese, inspector_b English; both are in enterprise 1.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import Session, select

from core.config import Settings
from core.db import utcnow
from core.delivery.log import DeliveryQuery, entries, retry_failed
from core.delivery.prefs import save_preferences
from core.delivery.run import deliver
from core.i18n import Translatable
from core.notify import notify
from models.accounts import User
from models.enums import Role
from models.notification import DeliveryState
from models.system import AuditEntry
from tests import factories
from tests.delivery_kit import (
    HOOK_SECRET,
    HOOK_TOKEN,
    MAIL_LOGIN,
    MAIL_PASSWORD,
    SITE,
    Certificates,
    MailServers,
    Receivers,
    deliveries,
    free_port,
    hook_settings,
    mail_settings,
    major_hazard,
    make_certificates,
    reading_user,
)
from tests.factories import Users


@pytest.fixture
def mail_servers() -> Iterator[MailServers]:
    with MailServers() as servers:
        yield servers


@pytest.fixture
def receivers() -> Iterator[Receivers]:
    with Receivers() as started:
        yield started


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    pytest.importorskip("cryptography", reason="STARTTLS and SSL need a certificate")
    return make_certificates(tmp_path_factory.mktemp("tls"))


# --- e-mail -----------------------------------------------------------------------------


def test_email_reaches_each_recipient_in_their_language_with_a_link(
    session: Session, users: Users, tmp_path: Path, mail_servers: MailServers
) -> None:
    port, box = mail_servers.start("none")
    zh = reading_user(session, "inspector_a", users, "zh-CN")
    en = reading_user(session, "inspector_b", users, "en")
    major_hazard(session, zh, en)
    settings = mail_settings(tmp_path, port, smtp_username=MAIL_LOGIN, smtp_password=MAIL_PASSWORD)

    report = deliver(session, settings, utcnow())

    assert report.sent["email"] == 2 and not report.failed
    (chinese,) = box.to("inspector_a@example.com")
    (english,) = box.to("inspector_b@example.com")
    assert chinese["Subject"] == "【SafeLoop】重大隐患：YH-42 配电箱门未关"
    assert english["Subject"] == "[SafeLoop] Major hazard: YH-42 配电箱门未关"
    assert "您好" in chinese.get_content() and "Hello" in english.get_content()
    for message in (chinese, english):
        assert f"{SITE}/hazard_hazard?id=42" in message.get_content()
    assert all(logged_in for _, _, logged_in in box.messages)
    assert {r.state for r in deliveries(session, channel="email")} == {DeliveryState.SENT}

    assert deliver(session, settings, utcnow() + timedelta(hours=1)).sent["email"] == 0
    assert len(box.messages) == 2, "a delivered notice was mailed again"


def test_several_notices_make_one_email(
    session: Session, users: Users, tmp_path: Path, mail_servers: MailServers
) -> None:
    port, box = mail_servers.start("none")
    reader = reading_user(session, "inspector_b", users, "en")
    for row in (1, 2, 3):
        major_hazard(session, reader, row_id=row)

    deliver(session, mail_settings(tmp_path, port), utcnow())

    (message,) = box.to("inspector_b@example.com")
    assert message["Subject"] == "[SafeLoop] 3 reminders"
    assert all(f"hazard_hazard?id={row}" in message.get_content() for row in (1, 2, 3))


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_email_over_tls_with_a_log_in(
    session: Session,
    users: Users,
    tmp_path: Path,
    mail_servers: MailServers,
    certificates: Certificates,
    security: str,
) -> None:
    port, box = mail_servers.start(security, certificates)
    reader = reading_user(session, "inspector_a", users, "zh-CN")
    major_hazard(session, reader)
    settings = mail_settings(
        tmp_path,
        port,
        security,
        smtp_username=MAIL_LOGIN,
        smtp_password=MAIL_PASSWORD,
        smtp_ca_file=certificates.ca_file,
    )

    assert deliver(session, settings, utcnow()).sent["email"] == 1
    ((recipients, message, logged_in),) = box.messages
    assert recipients == ["inspector_a@example.com"] and logged_in
    assert "重大隐患" in message["Subject"]


def test_unreachable_mail_server_fails_and_is_retried_on_a_later_run(
    session: Session, users: Users, tmp_path: Path, mail_servers: MailServers
) -> None:
    reader = reading_user(session, "inspector_a", users, "zh-CN")
    major_hazard(session, reader)
    port = free_port()  # nothing listens there yet
    now = utcnow()

    assert deliver(session, mail_settings(tmp_path, port), now).failed["email"] == 1
    (row,) = deliveries(session, channel="email")
    assert row.state == DeliveryState.FAILED and "mail server" in (row.last_error or "")
    assert row.next_attempt_at is not None

    _, box = mail_servers.start("none", port=port)
    assert deliver(session, mail_settings(tmp_path, port), now + timedelta(minutes=1)).sent == {}
    assert (
        deliver(session, mail_settings(tmp_path, port), now + timedelta(minutes=11)).sent["email"]
        == 1
    )
    assert len(box.messages) == 1


# --- webhooks ---------------------------------------------------------------------------


def test_webhook_is_signed_and_posted_once_per_event_naming_its_recipients(
    session: Session, users: Users, tmp_path: Path, receivers: Receivers
) -> None:
    hook = receivers.start()
    zh = reading_user(session, "inspector_a", users, "zh-CN")
    en = reading_user(session, "inspector_b", users, "en")
    major_hazard(session, zh, en)

    assert deliver(session, hook_settings(tmp_path, hook.url), utcnow()).sent["webhook"] == 1

    ((path, headers, body),) = hook.posts
    assert path == f"/hook?key={HOOK_TOKEN}"
    stamp = headers["X-SafeLoop-Timestamp"]
    expected = hmac.new(HOOK_SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
    assert headers["X-SafeLoop-Signature"] == f"sha256={expected.hexdigest()}"
    payload = json.loads(body)
    assert payload["event"] == "notify.major_hazard" and payload["severity"] == "error"
    assert payload["text"] == "重大隐患：YH-42 配电箱门未关"  # the site's language
    assert payload["link"] == f"{SITE}/hazard_hazard?id=42"
    assert (payload["table"], payload["row_id"]) == ("hazard", 42)
    names = {r["username"] for r in payload["recipients"]}
    assert names == {"inspector_a", "inspector_b"}


def test_robot_formats_carry_their_own_signatures(
    session: Session, users: Users, tmp_path: Path, receivers: Receivers
) -> None:
    hook = receivers.start()
    reader = reading_user(session, "inspector_a", users, "zh-CN")
    major_hazard(session, reader)
    for fmt in ("dingtalk", "feishu", "wecom"):
        settings = hook_settings(tmp_path, hook.url, fmt)
        settings.webhooks[0].name = fmt
        deliver(session, settings, utcnow())

    (dingtalk, feishu, wecom) = hook.posts
    query = parse_qs(urlsplit(dingtalk[0]).query)  # DingTalk: HMAC of "<ms>\n<secret>"
    stamp = query["timestamp"][0]
    expected = hmac.new(HOOK_SECRET.encode(), f"{stamp}\n{HOOK_SECRET}".encode(), hashlib.sha256)
    assert query["sign"] == [base64.b64encode(expected.digest()).decode()]
    assert query["key"] == [HOOK_TOKEN] and json.loads(dingtalk[2])["msgtype"] == "text"
    robot = json.loads(feishu[2])  # Feishu: HMAC keyed with "<s>\n<secret>" of nothing
    key = f"{robot['timestamp']}\n{HOOK_SECRET}".encode()
    expected = hmac.new(key, b"", hashlib.sha256)
    assert robot["sign"] == base64.b64encode(expected.digest()).decode()
    assert robot["msg_type"] == "text"
    assert "重大隐患" in robot["content"]["text"] and SITE in robot["content"]["text"]
    assert "接收人：inspector_a" in json.loads(wecom[2])["text"]["content"]


def test_a_chat_robot_gets_one_digest_per_run_not_a_message_per_event(
    session: Session, users: Users, tmp_path: Path, receivers: Receivers
) -> None:
    """Robots take about 20 messages a minute: 25 overdue hazards are one WeCom message
    naming the first ten, the count of the rest and the site; every event is delivered, and
    a rerun posts nothing."""
    hook = receivers.start()
    reader = reading_user(session, "inspector_a", users, "zh-CN")
    for row_id in range(100, 125):
        major_hazard(session, reader, row_id=row_id)
    settings = hook_settings(tmp_path, hook.url, "wecom")

    assert deliver(session, settings, utcnow()).sent["webhook"] == 25
    ((_path, _headers, body),) = hook.posts
    text = json.loads(body)["text"]["content"]
    assert text.startswith("【SafeLoop】本次提醒 25 条")
    assert text.count("· 重大隐患：") == 10 and "另有 15 条" in text and SITE in text
    assert len(text.encode()) <= 2048  # WeCom's limit for a text message
    assert {d.state for d in deliveries(session, channel="webhook")} == {DeliveryState.SENT}
    assert deliver(session, settings, utcnow()).sent["webhook"] == 0
    assert len(hook.posts) == 1


def test_a_500_is_retried_within_the_run_and_delivered_once(
    session: Session, users: Users, tmp_path: Path, receivers: Receivers
) -> None:
    hook = receivers.start(500)
    major_hazard(session, reading_user(session, "inspector_a", users, "zh-CN"))
    settings = hook_settings(tmp_path, hook.url)

    assert deliver(session, settings, utcnow()).sent["webhook"] == 1
    assert len(hook.posts) == 2
    (row,) = deliveries(session, channel="webhook")
    assert (row.state, row.attempts, row.last_error) == (DeliveryState.SENT, 2, None)

    deliver(session, settings, utcnow() + timedelta(days=1))
    assert len(hook.posts) == 2


def test_always_500_fails_then_a_later_run_delivers_it_exactly_once(
    session: Session,
    users: Users,
    tmp_path: Path,
    receivers: Receivers,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hook = receivers.start(500, 500, 500, 500)
    major_hazard(session, reading_user(session, "inspector_a", users, "zh-CN"))
    settings = hook_settings(tmp_path, hook.url)
    now = utcnow()

    with caplog.at_level(logging.INFO, logger="core.delivery"):
        assert deliver(session, settings, now).failed["webhook"] == 1
    assert len(hook.posts) == 4  # the first try and webhook_retries = 3
    (row,) = deliveries(session, channel="webhook")
    assert row.state == DeliveryState.FAILED and row.last_error == "HTTP 500 Internal Server Error"
    assert row.next_attempt_at is not None
    assert caplog.text.count("attempt") == 4

    assert deliver(session, settings, now + timedelta(minutes=1)).failed == {}  # not due yet
    assert deliver(session, settings, now + timedelta(minutes=15)).sent["webhook"] == 1
    for later in (1, 2):
        deliver(session, settings, now + timedelta(days=later))
    assert len(hook.posts) == 5
    session.refresh(row)
    assert (row.state, row.attempts) == (DeliveryState.SENT, 5)


def test_a_robot_refusing_in_its_answer_is_a_failure(
    session: Session, users: Users, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.delivery import transport

    class Answer:
        def __enter__(self) -> Answer:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def read(self, size: int) -> bytes:
            return b'{"errcode": 310000, "errmsg": "sign not match"}'

    monkeypatch.setattr(transport.urllib.request, "urlopen", lambda *a, **k: Answer())
    major_hazard(session, reading_user(session, "inspector_a", users, "zh-CN"))

    report = deliver(session, hook_settings(tmp_path, "https://oapi.example.com/robot"), utcnow())

    assert report.failed["webhook"] == 1
    (row,) = deliveries(session, channel="webhook")
    assert row.last_error == "receiver refused: 310000 sign not match" and row.attempts == 1


# --- preferences ------------------------------------------------------------------------


def test_choice_none_sends_nothing_and_important_skips_information(
    session: Session, users: Users, tmp_path: Path, mail_servers: MailServers, receivers: Receivers
) -> None:
    port, box = mail_servers.start("none")
    hook = receivers.start()
    quiet = reading_user(
        session, "inspector_a", users, "zh-CN", notify_prefs={"email": "none", "webhook": "none"}
    )
    picky = reading_user(session, "inspector_b", users, "en", notify_prefs={"email": "important"})
    major_hazard(session, quiet)
    notify(session, [picky.id], "notify.extension_requested", params={}, severity="info")
    settings = mail_settings(tmp_path, port, webhooks=[{"name": "chat", "url": hook.url}])

    deliver(session, settings, utcnow())

    assert box.messages == []
    assert [json.loads(b)["event"] for _, _, b in hook.posts] == ["notify.extension_requested"]
    assert deliveries(session, user_id=quiet.id) == []


def test_saving_preferences_validates_the_address_and_is_audited(
    session: Session, users: Users
) -> None:
    with pytest.raises(Translatable) as refused:
        save_preferences(session, users.inspector_a, "not-an-address", {})
    assert refused.value.message("en") == "Not an e-mail address: not-an-address"
    with pytest.raises(Translatable):
        save_preferences(session, users.inspector_a, "", {"email": "sometimes"})

    save_preferences(session, users.inspector_a, " a.li@example.com ", {"webhook": "none"})

    user = session.get(User, users.inspector_a.user_id)
    assert user is not None and user.email == "a.li@example.com"
    assert user.notify_prefs == {"webhook": "none"}
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.table_name == "user", AuditEntry.row_id == user.id)
    ).all()[-1]
    assert entry.actor_name == "inspector_a"
    assert entry.after == {"email": "a.li@example.com", "notify_prefs": {"webhook": "none"}}


# --- the delivery log -------------------------------------------------------------------


def test_log_is_scoped_and_retry_sends_the_failed_ones(
    session: Session,
    users: Users,
    org,
    module_settings: Settings,
    tmp_path: Path,
    receivers: Receivers,
) -> None:
    hook = receivers.start(*[500] * 8)  # both events fail: 4 tries each
    outsider = factories.user(
        session, module_settings, "ent2_reader", Role.INSPECTOR, enterprise_id=org.ent2
    )
    major_hazard(session, reading_user(session, "inspector_a", users, "zh-CN"))
    major_hazard(session, outsider, row_id=7)
    settings = hook_settings(tmp_path, hook.url)
    deliver(session, settings, utcnow())

    mine = entries(session, users.safety_head, DeliveryQuery(state=DeliveryState.FAILED))
    everyone = entries(session, users.admin, DeliveryQuery())
    assert mine.total == 1 and everyone.total == 2
    assert mine.rows[0].recipient == "inspector_a"

    report = retry_failed(session, settings, users.safety_head, utcnow())
    assert report.sent["webhook"] == 1
    assert entries(session, users.admin, DeliveryQuery(state=DeliveryState.FAILED)).total == 1
