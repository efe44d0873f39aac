"""The closed loop in a real browser: a worker reports a hazard from a phone, the safety head
confirms and assigns it, the owner rectifies with an after photo, the safety head verifies.
The four-colour map counts the hazard while it is open and drops it once it is closed.

Screenshots of each screen (and of the map before, during and after) go to artefacts/screenshots.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .test_main_paths import TIMEOUT, _idle, _login, _open, _press

PHONE = {"width": 390, "height": 844}
MAP_HAZARDS = re.compile(r"未闭环隐患 (\d+) 条")


def _photo() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 160, 90)).save(buf, "JPEG")
    return buf.getvalue()


def _phone_report(browser: Browser, url: str, shots: Path) -> str:
    """The worker's part; returns the new hazard's number."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    _login(page, url, "employee")
    _open(page, "随手拍")
    page.set_viewport_size(PHONE)
    _choose_first(page, page.get_by_role("combobox", name="区域"))  # it lands on the map
    page.get_by_label("问题描述 *").fill("装配车间二号通道堆放托盘，堵塞消防通道")
    page.get_by_role("button", name="上报").click()
    done = page.get_by_text(re.compile(r"已上报，编号 YH-\d{4}-\d{6}"))
    expect(done).to_be_visible(timeout=TIMEOUT)
    page.screenshot(path=str(shots / "hazard_quick_report_phone.png"), full_page=True)
    number = re.search(r"YH-\d{4}-\d{6}", done.inner_text()).group(0)
    page.get_by_role("link", name=re.compile("的处理进度")).click()
    expect(page.get_by_text("流程记录")).to_be_visible(timeout=TIMEOUT)
    page.screenshot(path=str(shots / "hazard_followed_by_reporter_phone.png"), full_page=True)
    context.close()
    return number


def _choose_first(page: Page, box: Locator) -> None:
    """Pick the first real entry of a select box (after "(无)").

    A rerun that lands while the list is open closes it again, so open it until it stays. The
    box is centred first: opened at the bottom edge, its list can lie outside the viewport.
    """
    option = page.get_by_role("option").nth(1)
    for _ in range(4):
        box.evaluate("e => e.scrollIntoView({block: 'center'})")
        box.click()
        try:
            option.wait_for(timeout=5000)
            option.click(timeout=10_000)
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            continue
        return
    raise AssertionError(f"the list of {box} never opened")


def _map_hazards(page: Page, shot: Path, expected: int | None = None) -> int:
    """Open the risk map, screenshot it and return its count of open hazards on the plan."""
    _open(page, "风险四色图", via="风险分级管控")
    summary = page.get_by_text(MAP_HAZARDS)
    if expected is not None:
        expect(summary).to_contain_text(f"未闭环隐患 {expected} 条", timeout=TIMEOUT)
    expect(page.get_by_test_id("stDeckGlJsonChart")).to_be_visible(timeout=TIMEOUT)
    page.wait_for_timeout(1500)  # deck.gl draws the bitmap and polygons after the element shows
    page.screenshot(path=str(shot), full_page=True)
    return int(MAP_HAZARDS.search(summary.inner_text()).group(1))


def _pick(page: Page, number: str) -> None:
    """Search the register for ``number`` and tick its row, as a user would."""
    _open(page, "隐患台账", via="隐患排查治理")
    page.get_by_label("搜索").fill(number)
    page.get_by_label("搜索").press("Enter")
    grid = page.get_by_test_id("stDataFrame").first
    expect(page.get_by_text("共 1 条")).to_be_visible(timeout=TIMEOUT)
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 17)  # the first row's selection box
    expect(page.get_by_text("流程记录")).to_be_visible(timeout=TIMEOUT)


def _step(page: Page, tab: str) -> Locator:
    _idle(page)
    page.get_by_role("tab", name=tab).click()
    return page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name=tab))


def test_report_confirm_rectify_verify(browser: Browser, page: Page, app_url: str, artefacts_dir):
    _login(page, app_url, "safety_head")
    before = _map_hazards(page, artefacts_dir / "risk_map_before_report.png")
    number = _phone_report(browser, app_url, artefacts_dir)
    _login(page, app_url, "safety_head")  # a fresh page: the new report waits in the to-do list
    page.get_by_role("link", name=re.compile(f"待确认隐患：{number}")).click()
    expect(page.get_by_text("流程记录")).to_be_visible(timeout=TIMEOUT)
    form = _step(page, "确认并派单")
    _choose_first(page, form.get_by_role("combobox", name=re.compile("整改责任人")))
    _press(page, form.get_by_role("button", name="确认并派单"), "确认并派单")
    page.screenshot(path=str(artefacts_dir / "hazard_confirmed.png"), full_page=True)

    # the safety head holds the edit grant, so may rectify too, but then cannot verify it
    form = _step(page, "提交整改")
    form.get_by_label("整改措施 *").fill("托盘移至指定堆放区，通道划线")
    form.locator("input[type=file]").set_input_files(
        files=[{"name": "after.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
    )
    expect(form.get_by_text("after.jpg")).to_be_visible(timeout=TIMEOUT)  # uploaded
    _press(page, form.get_by_role("button", name="提交整改"), "提交整改")
    expect(page.get_by_text("当前状态：待验收")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("tab", name="作废", disabled=False)).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("tab", name="验收通过")).to_have_count(0)  # four eyes

    verifier = browser.new_context(viewport=page.viewport_size, locale="zh-CN")
    other = verifier.new_page()
    _login(other, app_url, "safety_manager")
    _map_hazards(other, artefacts_dir / "risk_map_hazard_open.png", expected=before + 1)
    _pick(other, number)
    form = _step(other, "验收通过")
    form.get_by_label("意见 / 原因").fill("现场复查，通道畅通")
    _press(other, form.get_by_role("button", name="验收通过"), "验收通过")
    expect(other.get_by_text("当前状态：已销号")).to_be_visible(timeout=TIMEOUT)
    other.get_by_text("流程记录").scroll_into_view_if_needed()
    other.screenshot(path=str(artefacts_dir / "hazard_closed_history.png"), full_page=True)
    _map_hazards(other, artefacts_dir / "risk_map_after_close.png", expected=before)
    verifier.close()
