"""A log-in outlasts the tab: a reload, a second tab and a pasted link stay logged in, because
the browser holds an HttpOnly session cookie; a log-out in one tab ends the others and
makes that cookie worthless wherever a copy of it went."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from .test_main_paths import DEMO_PASSWORD, TIMEOUT, _idle

LINK = "/hazard_hazard?f.overdue=1"
COOKIE = "safeloop_session"


def _logged_in(page: Page) -> None:
    expect(page.get_by_role("button", name="退出登录")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_label("用户名")).to_have_count(0)


def _at_log_in(page: Page) -> None:
    expect(page.get_by_label("用户名")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("button", name="退出登录")).to_have_count(0)


def test_a_log_in_survives_reloads_tabs_and_links_until_log_out(
    app_url: str, browser: Browser, artefacts_dir: Path
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    tab = context.new_page()
    tab.goto(app_url)  # not admin, whom test_main_paths switches to English
    tab.get_by_label("用户名").fill("safety_head")
    tab.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    tab.get_by_role("button", name="登录").click()
    expect(tab.get_by_text("我的待办")).to_be_visible(timeout=TIMEOUT)
    _logged_in(tab)
    for _ in range(50):  # the tab fetches its cookie in the background, after drawing
        cookies = [c for c in context.cookies() if c["name"] == COOKIE]
        if cookies:
            break
        tab.wait_for_timeout(100)
    (cookie,) = cookies
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    assert COOKIE not in tab.evaluate("document.cookie"), "a page script must not read it"

    tab.reload()  # F5
    expect(tab.get_by_text("我的待办")).to_be_visible(timeout=TIMEOUT)
    _logged_in(tab)
    _idle(tab)
    tab.screenshot(path=artefacts_dir / "session_after_reload.png")

    linked = context.new_page()  # a link pasted into a new tab opens its page, logged in
    linked.goto(app_url + LINK)
    expect(linked.get_by_role("heading", name="隐患台账")).to_be_visible(timeout=TIMEOUT)
    _logged_in(linked)
    assert linked.url.endswith(LINK)
    _idle(linked)

    copied = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    copied.add_cookies([cookie])
    elsewhere = copied.new_page()  # the cookie is the log-in: a copy of it is one too ...
    elsewhere.goto(app_url)
    _logged_in(elsewhere)

    _idle(tab)
    tab.get_by_role("button", name="退出登录").click()
    _at_log_in(tab)
    assert not [c for c in context.cookies() if c["name"] == COOKIE]

    # The other tab's next click finds its session ended and asks for the log-in again.
    linked.get_by_role("radio", name="English").check(force=True)
    expect(linked.get_by_label(re.compile("^(用户名|User name)$"))).to_be_visible(timeout=TIMEOUT)
    expect(linked.get_by_role("button", name=re.compile("退出登录|Log out"))).to_have_count(0)

    elsewhere.reload()  # ... until the log-out revoked it
    _at_log_in(elsewhere)
    copied.close()
    context.close()
