"""A link into the app opened in a new tab — a cockpit drill-down sent by chat, a bookmarked
filtered list — asks for the log-in and then opens the page it names with its filters."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from .test_main_paths import DEMO_PASSWORD, TIMEOUT, _idle

LINK = "/hazard_hazard?f.overdue=1"


def test_a_drill_down_link_survives_the_log_in(
    app_url: str, browser: Browser, artefacts_dir: Path
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.goto(app_url + LINK)
    expect(page.get_by_label("用户名")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="隐患台账")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("链接带入的筛选：逾期隐患")).to_be_visible(timeout=TIMEOUT)
    _idle(page)
    assert page.url.endswith(LINK)
    page.screenshot(path=artefacts_dir / "deep_link_after_login.png")
    context.close()
