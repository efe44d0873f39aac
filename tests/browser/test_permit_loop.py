"""A hot-work permit in a real browser: the workshop inspector applies from a phone, four people
sign the chain, the guardian confirms the measures, the gas tester's reading and the briefing
let the work start, a bad reading suspends it, a good one resumes it, and the permit is
completed and closed. The GIS permit view is photographed before, while running, suspended and
after the close; every screen goes to artefacts/screenshots."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from .test_main_paths import TIMEOUT, _idle, _login, _open, _press

PHONE = {"width": 390, "height": 844}
NUMBER = re.compile(r"DH\d{11}")


def _person(data_dir: Path, username: str) -> str:
    with sqlite3.connect(data_dir / "safeloop.db") as db:
        row = db.execute(
            "SELECT p.name FROM user u JOIN person p ON p.id = u.person_id WHERE u.username = ?",
            (username,),
        ).fetchone()
    return row[0]


def _as(browser: Browser, url: str, username: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(
        viewport={"width": 1400, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = context.new_page()
    _login(page, url, username)
    return context, page


def _permit(page: Page, number: str) -> None:
    """Open the permit desk and the permit by its number."""
    _open(page, "作业票办理", via="危险作业")
    back = page.get_by_role("button", name="← 返回列表")
    if back.count():
        back.click()
    page.get_by_label("输入作业票编号直接打开").fill(number)
    page.get_by_label("输入作业票编号直接打开").press("Enter")
    expect(page.get_by_role("heading", name=re.compile(number))).to_be_visible(timeout=TIMEOUT)
    _idle(page)  # opening by number reruns the page once more


def _sign(page: Page, number: str) -> None:
    _permit(page, number)
    expect(page.get_by_text(re.compile("轮到您以"))).to_be_visible(timeout=TIMEOUT)
    _press(page, page.get_by_role("button", name="签字同意"), "签字同意")


def _pick(page: Page, box: Locator, option: str | re.Pattern[str]) -> None:
    """Open a select box (a click focuses it; the arrow key opens its list) and pick."""
    box.click()
    page.keyboard.press("ArrowDown")  # the focus is in the box; its name may change once open
    page.get_by_role("option", name=option).first.click()


def _tab(page: Page, name: str) -> None:
    _idle(page)
    page.get_by_role("tab", name=name).click()


def _reading(page: Page, number: str, value: str) -> None:
    _permit(page, number)
    _tab(page, "气体检测")
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="录入读数"))
    _pick(page, form.get_by_role("combobox", name="气体"), "可燃气体")
    form.get_by_label("读数").fill(value)
    form.get_by_label("介质爆炸下限 LEL（%vol）").fill("5")
    form.get_by_role("button", name="录入读数").click()
    expect(page.get_by_text("已保存")).to_be_visible(timeout=TIMEOUT)


def _step(page: Page, number: str, action: str, *, tick: tuple[str, ...] = (), note: str = ""):
    _permit(page, number)
    _tab(page, "作业")
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name=action))
    for label in tick:
        form.get_by_text(label).click()
    if note:
        form.get_by_label(re.compile("意见")).fill(note)
    _press(page, form.get_by_role("button", name=action), action)


def _map(page: Page, shot: Path) -> None:
    _open(page, "作业票GIS视图", via="危险作业")
    expect(page.get_by_test_id("stDeckGlJsonChart")).to_be_visible(timeout=TIMEOUT)
    page.wait_for_timeout(1500)  # deck.gl draws after the element shows
    page.screenshot(path=str(shot), full_page=True)


def _apply(browser: Browser, url: str, guardian: str, shots: Path) -> str:
    context, page = _as(browser, url, "inspector")
    _open(page, "申请作业票", via="危险作业")
    page.set_viewport_size(PHONE)
    _pick(page, page.get_by_role("combobox", name="作业级别 *"), "动火作业 二级")
    _pick(page, page.get_by_role("combobox", name="作业区域 *"), "机修车间")
    expect(page.get_by_text(re.compile("作业位置：x"))).to_be_visible(timeout=TIMEOUT)
    page.get_by_label("作业地点 *").fill("机修车间东侧蒸汽管廊")
    page.get_by_label("作业内容 *").fill("蒸汽管线法兰焊接修复")
    page.get_by_label("动火方式 *").fill("电焊")
    page.get_by_label("设备内介质 *").fill("蒸汽")
    workers = page.get_by_role("combobox", name="作业人 *")
    for _ in range(2):
        _pick(page, workers, re.compile("✓"))
        page.keyboard.press("Escape")
    _pick(page, page.get_by_role("combobox", name="监护人 *"), guardian)
    page.get_by_role("button", name="提交审批").click()
    expect(page.get_by_text("作业票已提交审批")).to_be_visible(timeout=TIMEOUT)
    page.screenshot(path=str(shots / "permit_apply_phone.png"), full_page=True)
    link = page.get_by_role("link", name=re.compile("查看作业票"))
    number = NUMBER.search(link.inner_text()).group(0)
    context.close()
    return number


def test_apply_approve_start_suspend_close(
    browser: Browser, app_url: str, app_data_dir: Path, artefacts_dir: Path
) -> None:
    shots = artefacts_dir
    admin, overview = _as(browser, app_url, "safety_head")
    _map(overview, shots / "permit_map_before.png")
    number = _apply(browser, app_url, _person(app_data_dir, "dept_head"), shots)

    people = {
        name: _as(browser, app_url, name) for name in ("inspector", "safety_manager", "dept_head")
    }
    inspector, tester, guardian = (
        people[n][1] for n in ("inspector", "safety_manager", "dept_head")
    )
    _sign(inspector, number)  # work leader
    _sign(tester, number)  # gas tester
    _sign(guardian, number)  # guardian (parallel with the gas tester)
    _sign(overview, number)  # unit head: the last signature approves
    expect(overview.get_by_role("heading", name=re.compile("已审批"))).to_be_visible(
        timeout=TIMEOUT
    )
    overview.screenshot(path=str(shots / "permit_approved_chain.png"), full_page=True)

    # the start is refused until gas, measures and briefing are in order
    _permit(inspector, number)
    _tab(inspector, "开工准备")
    expect(inspector.get_by_text("缺少可燃气体检测数据")).to_be_visible(timeout=TIMEOUT)
    _reading(tester, number, "0.1")
    _permit(guardian, number)
    _tab(guardian, "开工准备")
    form = guardian.get_by_test_id("stForm").filter(
        has=guardian.get_by_role("button", name="确认所选措施已落实")
    )
    boxes = form.get_by_role("checkbox")
    for i in range(boxes.count()):
        boxes.nth(i).check(force=True)
    _idle(guardian)
    form.get_by_role("button", name="确认所选措施已落实").click()
    expect(guardian.get_by_text("已保存")).to_be_visible(timeout=TIMEOUT)
    open_measures = guardian.get_by_text(re.compile("项安全措施未经监护人确认"))
    expect(open_measures).to_have_count(0, timeout=TIMEOUT)
    _permit(inspector, number)
    _tab(inspector, "开工准备")
    form = inspector.get_by_test_id("stForm").filter(
        has=inspector.get_by_role("button", name="记录交底")
    )
    form.get_by_label("交底内容").fill("动火点 15 m 内可燃物已清理，灭火器两具到位，监护人在场")
    form.locator("input[role=combobox]").first.click()
    for _ in range(2):  # the focus stays in the box: arrow to the next worker, Enter picks it
        inspector.keyboard.press("ArrowDown")
        inspector.keyboard.press("Enter")
    inspector.keyboard.press("Escape")
    _idle(inspector)
    form.get_by_role("button", name="记录交底").click()
    expect(inspector.get_by_text("开工条件已满足")).to_be_visible(timeout=TIMEOUT)
    inspector.screenshot(path=str(shots / "permit_ready_to_start.png"), full_page=True)
    _step(inspector, number, "开工")
    _map(overview, shots / "permit_map_running.png")

    _reading(tester, number, "0.8")  # out of limit while working: suspended at once
    expect(tester.get_by_text("作业已暂停")).to_be_visible(timeout=TIMEOUT)
    tester.screenshot(path=str(shots / "permit_suspended.png"), full_page=True)
    _map(overview, shots / "permit_map_suspended.png")

    _reading(tester, number, "0.05")
    _step(inspector, number, "恢复作业")
    _step(inspector, number, "完工", tick=("作业人员已全部撤离", "现场已检查清理"))
    _step(guardian, number, "验收关闭", note="现场已清理，无遗留火种")
    expect(guardian.get_by_text("作业票已归档，只读")).to_be_visible(timeout=TIMEOUT)
    _tab(guardian, "记录")
    guardian.screenshot(path=str(shots / "permit_closed_history.png"), full_page=True)
    _map(overview, shots / "permit_map_after_close.png")
    for context, _page in people.values():
        context.close()
    admin.close()
