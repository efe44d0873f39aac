"""The menu by job in a real browser: no raw file names before the first script run, the
employee's short menu, a module home opening a register, and an address outside the role
answered in the user's language."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

from core.i18n import t
from core.ui.nav import top_level_entries
from tests.demo_cache import copy_demo

from .server import running_app
from .test_main_paths import DEMO_PASSWORD, TIMEOUT, _idle

#: Streamlit's own page list would show these file names ("streamlit app", "account" …)
RAW_NAMES = ("streamlit app", "account", "analytics cockpit", "hazard hazard", "sys users")


def _sign_in(page: Page, username: str) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_first_paint_menu_and_refusal(page: Page, app_url: str) -> None:
    started = time.monotonic()
    page.goto(app_url, wait_until="commit")
    seen: set[str] = set()
    password = page.get_by_label("密码", exact=True)
    while not password.count() and time.monotonic() - started < TIMEOUT / 1000:
        seen.update(page.get_by_test_id("stSidebar").all_inner_texts())
        page.wait_for_timeout(50)
    print(f"\nlog-in form drawn {time.monotonic() - started:.2f} s after the request")
    assert not [s for s in seen for raw in RAW_NAMES if raw in s.lower()], seen

    _sign_in(page, "employee")
    sidebar = page.get_by_test_id("stSidebar")
    expected = [t(p.title) for p in top_level_entries("employee")]
    for label in expected:
        expect(sidebar.get_by_role("link", name=label, exact=True)).to_be_visible(timeout=TIMEOUT)
    expect(sidebar.get_by_role("link", name=t("table.hazard"), exact=True)).to_have_count(0)
    expect(sidebar.get_by_role("link", name=t("module.org"), exact=True)).to_have_count(0)

    sidebar.get_by_role("link", name=t("module.hazard"), exact=True).click()
    expect(page.get_by_role("heading", name=t("module.hazard"))).to_be_visible(timeout=TIMEOUT)
    _idle(page)
    page.get_by_test_id("stMain").get_by_role("link", name=t("table.hazard") + " (").click()
    expect(page.get_by_role("heading", name=t("table.hazard"))).to_be_visible(timeout=TIMEOUT)

    page.goto(f"{app_url}/sys_users")
    if page.get_by_label("密码", exact=True).count():  # without a kept log-in
        _sign_in(page, "employee")
    expect(page.get_by_role("heading", name=t("nav.refused_title"))).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("page not found", exact=False)).to_have_count(0)


def test_a_fresh_servers_first_request_may_be_a_deep_link(
    browser, run_root, tmp_path_factory
) -> None:
    """Streamlit's pages-folder mode ran ``pages/hazard_hazard.py`` alone (no menu, no shell)
    when a bookmark was a server's very first request."""
    data = copy_demo(run_root, tmp_path_factory.mktemp("fresh-server"))
    with running_app(data) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{url}/hazard_hazard?f.overdue=1")
        _sign_in(page, "admin")
        expect(page.get_by_role("heading", name=t("table.hazard"))).to_be_visible(timeout=TIMEOUT)
        expect(page.get_by_text("链接带入的筛选：逾期隐患")).to_be_visible(timeout=TIMEOUT)
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_role("link", name=t("module.hazard"), exact=True)).to_be_visible()
        page.reload()
        expect(page.get_by_role("heading", name=t("table.hazard"))).to_be_visible(timeout=TIMEOUT)
        expect(page.get_by_label("密码", exact=True)).to_have_count(0)
        context.close()
