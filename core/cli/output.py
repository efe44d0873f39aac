"""What the ``safeloop`` command prints: progress, results, the demo log-ins, refusals."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from sqlalchemy.engine import make_url

from core.config import Settings
from core.demo import DEMO_PASSWORD, DemoLogin
from core.i18n import enum_label, has, t
from core.init_db import InitResult
from models.enums import Role

LANG = "en"


class CliError(Exception):
    """A refusal the user can act on; printed as one line, exit code 1."""


class ProgressLine:
    """Progress on stderr: on a terminal one line rewritten in place (carriage return); in a
    log file one plain line per new step instead, so logs stay readable."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.width = 0
        self.last = ""

    def __call__(self, fraction: float, message: str) -> None:
        text = readable(message)
        if self.live:
            text = f"{max(0.0, min(1.0, fraction)) * 100:3.0f}% {text}"
        if text == self.last:
            return
        if self.live:
            self.stream.write("\r" + text.ljust(self.width))
            self.width = max(self.width, len(text))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self.last = text

    def close(self) -> None:
        if self.live and self.width:
            self.stream.write("\n")
            self.stream.flush()


@contextmanager
def progress_line() -> Iterator[ProgressLine]:
    line = ProgressLine()
    try:
        yield line
    finally:
        line.close()


def readable(message: str) -> str:
    """Progress messages may be catalogue keys (backup) or text (imports, init)."""
    if has(message, LANG):
        return t(message, LANG)
    if re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", message):
        return message.rsplit(".", 1)[-1].replace("_", " ")
    return message


def say(text: str = "") -> None:
    print(text, flush=True)


def safe_url(settings: Settings) -> str:
    return make_url(settings.db_url).render_as_string(hide_password=True)


def demo_lines(logins: tuple[DemoLogin, ...]) -> list[str]:
    """The demo accounts in both languages, for the console of the person who started it."""
    lines = [
        f"演示账号（密码均为 {DEMO_PASSWORD}）/ Demo log-ins (password {DEMO_PASSWORD} for all):"
    ]
    width = max(len(login.username) for login in logins)
    for login in logins:
        role = Role(login.role)
        labels = f"{enum_label(role, 'zh-CN')} / {enum_label(role, LANG)}"
        name = (
            "" if login.display_name == enum_label(role, "zh-CN") else f"  ({login.display_name})"
        )
        lines.append(f"  {login.username:<{width}}  {labels}{name}")
    return lines


def report_init(settings: Settings, result: InitResult) -> None:
    say(f"database: {safe_url(settings)} (schema {result.revision})")
    if result.permissions_seeded:
        say(f"permission matrix seeded: {result.permissions_seeded} grants")
    if result.demo:
        counts = ", ".join(f"{table} {n}" for table, n in result.demo.counts.items())
        say(f"demo organisation loaded: {counts}")
    if result.demo_logins:
        for line in demo_lines(result.demo_logins):
            say(line)
    elif result.new:
        say("no user accounts yet: create the administrator in the browser on first start,")
        say("  or run: safeloop user add admin --role admin")
