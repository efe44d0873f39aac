"""``safeloop remind``: the dry run lists in each recipient's language and changes nothing,
the real run sends, no secret is ever printed or logged, a bad setting stops it."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import SQLModel, select

from core import migrate
from core.cli import main
from core.config import Settings, get_settings
from core.db import get_engine, session_scope
from core.rbac import seed_permissions
from models.enums import Role
from models.notification import Delivery, Notification
from tests import factories
from tests.delivery_kit import (
    HOOK_SECRET,
    HOOK_TOKEN,
    MAIL_LOGIN,
    MAIL_PASSWORD,
    SITE,
    MailServers,
    Receivers,
    major_hazard,
)


@pytest.fixture
def mail_servers() -> Iterator[MailServers]:
    with MailServers() as servers:
        yield servers


@pytest.fixture
def receivers() -> Iterator[Receivers]:
    with Receivers() as started:
        yield started


# --- safeloop remind --------------------------------------------------------------------


@pytest.fixture
def cli_database(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The CLI's own SQLite file with every table and a Chinese-reading user with an
    address and an unread major hazard (the schema from the models: this checks the
    command, tests/test_migrations.py the migrations)."""
    monkeypatch.setattr(migrate, "upgrade", lambda s: SQLModel.metadata.create_all(get_engine(s)))
    SQLModel.metadata.create_all(get_engine(settings))
    with session_scope(get_engine(settings)) as session:
        seed_permissions(session)
        org = factories.build_org(session)
        reader = factories.user(session, settings, "wang", Role.INSPECTOR, enterprise_id=org.ent1)
        reader.email, reader.language = "wang@example.com", "zh-CN"
        major_hazard(session, reader)
    yield settings


def _count(settings: Settings, model: type) -> int:
    with session_scope(get_engine(settings)) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_remind_dry_run_lists_and_changes_nothing_and_never_shows_a_secret(
    cli_database: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    mail_servers: MailServers,
    receivers: Receivers,
) -> None:
    port, box = mail_servers.start("none")
    hook = receivers.start()
    env = {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_SECURITY": "none",
        "SMTP_FROM": "safeloop@example.com",
        "SMTP_USERNAME": MAIL_LOGIN,
        "SMTP_PASSWORD": MAIL_PASSWORD,
        "PUBLIC_URL": SITE,
        "WEBHOOKS": json.dumps([{"name": "chat", "url": hook.url, "secret": HOOK_SECRET}]),
    }
    for name, value in env.items():
        monkeypatch.setenv(f"SAFELOOP_{name}", value)
    get_settings.cache_clear()
    before = (_count(cli_database, Notification), _count(cli_database, Delivery))

    with caplog.at_level(logging.DEBUG):
        assert main(["remind", "--dry-run"]) == 0
        dry = capsys.readouterr()
        assert (_count(cli_database, Notification), _count(cli_database, Delivery)) == before
        assert box.messages == [] and hook.posts == []
        assert "email to wang@example.com (wang, zh-CN):" in dry.out
        assert "【SafeLoop】重大隐患：YH-42 配电箱门未关" in dry.out
        assert f"{SITE}/hazard_hazard?id=42" in dry.out
        assert "webhook to chat" in dry.out and "nothing was written or sent" in dry.out

        assert main(["remind"]) == 0
        real = capsys.readouterr()
    assert "email: 1 new deliveries, 1 sent, 0 failed" in real.out
    assert "webhook: 1 new deliveries, 1 sent, 0 failed" in real.out
    assert len(box.messages) == 1 and len(hook.posts) == 1
    shown = dry.out + dry.err + real.out + real.err + caplog.text
    for secret in (MAIL_PASSWORD, HOOK_SECRET, HOOK_TOKEN):
        assert secret not in shown


def test_remind_refuses_a_bad_configuration(
    cli_database: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAFELOOP_WEBHOOKS", json.dumps([{"name": "x", "url": "ftp://h/k"}]))
    get_settings.cache_clear()
    assert main(["remind", "--no-deliver"]) == 1
    assert "webhook url must be an http:// or https:// address" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"smtp_host": "mail.example.com"}, "smtp_from is required when smtp_host is set"),
        ({"smtp_from": "not-an-address"}, "smtp_from must be an e-mail address"),
        ({"smtp_security": "tls"}, "'starttls', 'ssl' or 'none'"),
        ({"public_url": "safety.example.com"}, "public_url must be an http:// or https://"),
        (
            {
                "webhooks": [
                    {"name": "a", "url": "https://h/x"},
                    {"name": "a", "url": "https://h/y"},
                ]
            },
            "webhook names must be unique; repeated: a",
        ),
        (
            {"webhooks": [{"name": "a", "url": "https://h/x", "format": "slack"}]},
            "'generic', 'wecom', 'dingtalk' or 'feishu'",
        ),
        (
            {"webhooks": [{"name": "a", "url": "https://h/x?key=a b"}]},
            "must not contain spaces",
        ),
    ],
)
def test_settings_name_what_is_wrong(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**values)  # type: ignore[arg-type]
    assert message in str(refused.value)


def test_settings_never_show_secrets() -> None:
    settings = Settings(
        smtp_host="mail.example.com",
        smtp_from="safeloop@example.com",
        smtp_username=MAIL_LOGIN,
        smtp_password=MAIL_PASSWORD,
        webhooks=[{"name": "chat", "url": f"https://h/x?key={HOOK_TOKEN}", "secret": HOOK_SECRET}],
    )
    shown = repr(settings) + str(settings.model_dump())
    for secret in (MAIL_PASSWORD, HOOK_SECRET, HOOK_TOKEN):
        assert secret not in shown
