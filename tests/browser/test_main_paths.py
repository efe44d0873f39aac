"""Click through the main paths in a real Chromium against a running server.

Screenshots land in artefacts/screenshots for a person to look at.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from openpyxl import Workbook
from playwright.sync_api import Locator, Page, expect

from .server import record_outside_requests

DEMO_PASSWORD = "Safeloop2026"
TIMEOUT = 40_000  # two servers share two cores when the suite runs on two workers


def _login(page: Page, url: str, username: str = "admin") -> None:
    """Log in, unless the browser's session cookie still holds this user's log-in."""
    page.goto(url)
    form, home = page.get_by_label("用户名"), page.get_by_text("我的待办")
    expect(form.or_(home).first).to_be_visible(timeout=TIMEOUT)
    if form.count():
        form.fill(username)
        page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
    expect(home).to_be_visible(timeout=TIMEOUT)


def _idle(page: Page) -> None:
    """Wait until the script run started by the last action has finished: a press that
    lands mid-run is lost with the widgets it was on."""
    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=TIMEOUT)


def _press(page: Page, button: Locator, action: str) -> None:
    """Press once the page is idle and wait for "已执行：…" (a loaded machine is slow, and a
    press that lands during a rerun or an upload is lost)."""
    _idle(page)
    button.click()
    expect(page.get_by_text(f"已执行：{action}")).to_be_visible(timeout=TIMEOUT)


def _open(page: Page, label: str, via: str | None = None) -> None:
    """Open a page from the sidebar menu, or from the home page of the module ``via`` (the
    menu holds modules; their screens and registers are one click further)."""
    sidebar = page.get_by_test_id("stSidebar")
    if via is None:
        sidebar.get_by_role("link", name=label, exact=True).click()
    else:
        sidebar.get_by_role("link", name=via, exact=True).click()
        expect(page.get_by_role("heading", name=via)).to_be_visible(timeout=TIMEOUT)
        _idle(page)
        door = re.compile(rf"^{re.escape(label)}( \([\d,]+\))?$")
        page.get_by_test_id("stMain").get_by_role("link", name=door).click()
    expect(page.get_by_role("heading", name=label)).to_be_visible(timeout=TIMEOUT)
    _idle(page)


def _bad_import_file() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["名称", "编码", "所在地区"])
    ws.append(["浏览器测试园区一", "BT-1", "上海"])
    ws.append(["浏览器测试园区二", "BT-2", "上海"])
    ws.append(["", "BT-3", "上海"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_login_list_create_import_and_language(
    page: Page, app_url: str, artefacts_dir: Path
) -> None:
    outside = record_outside_requests(page)
    _login(page, app_url)
    page.screenshot(path=artefacts_dir / "01_home.png", full_page=True)

    _open(page, "人员", via="组织机构")
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=TIMEOUT)
    page.screenshot(path=artefacts_dir / "02_person_list.png", full_page=True)

    _open(page, "园区", via="组织机构")
    page.get_by_role("tab", name="新建").click()
    page.get_by_label("名称 *").fill("浏览器新建园区")
    page.get_by_label("编码 *").fill("BROWSER-1")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存")).to_be_visible(timeout=TIMEOUT)
    page.screenshot(path=artefacts_dir / "03_park_created.png", full_page=True)

    page.get_by_role("tab", name="导入").click()
    page.locator("input[type=file]").first.set_input_files(
        files=[
            {
                "name": "parks.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": _bad_import_file(),
            }
        ]
    )
    page.get_by_role("tab", name="导入").click()
    page.get_by_role("button", name="校验并导入").click()
    expect(page.get_by_text("未导入任何数据")).to_be_visible(timeout=TIMEOUT)
    page.screenshot(path=artefacts_dir / "04_import_error.png", full_page=True)

    page.get_by_test_id("stSidebar").get_by_text("English").click()
    expect(page.get_by_role("heading", name="Parks")).to_be_visible(timeout=TIMEOUT)
    page.screenshot(path=artefacts_dir / "05_english.png", full_page=True)

    page.get_by_role("button", name="Log out").click()
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("My to-do list")).to_be_visible(timeout=TIMEOUT)
    page.screenshot(path=artefacts_dir / "06_english_remembered.png", full_page=True)

    assert outside == [], f"the page reached outside localhost: {outside}"
