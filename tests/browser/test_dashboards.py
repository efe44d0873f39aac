"""An analyst builds a dashboard in a real browser: creates it, builds a chart without SQL
(hazards by category, split by level), saves it, and sees it drawn on the dashboard."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from .server import record_outside_requests
from .test_main_paths import TIMEOUT, _idle, _login, _open


def _choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in the select box ``label`` (typed, so long lists need no scrolling)."""
    _idle(page)
    page.get_by_label(label, exact=True).click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).click()
    _idle(page)


def test_build_a_chart_and_see_it_on_a_new_dashboard(
    page: Page, app_url: str, artefacts_dir: Path
) -> None:
    outside = record_outside_requests(page)
    _login(page, app_url)
    _open(page, "自定义仪表板", via="分析与报表")
    page.get_by_role("button", name="新建仪表板").click()
    page.get_by_label("名称").fill("隐患月度看板")
    page.get_by_role("button", name="创建").click()
    expect(page.get_by_text("已创建仪表板「隐患月度看板」")).to_be_visible(timeout=TIMEOUT)
    page.keyboard.press("Escape")  # close the popover

    page.get_by_role("radio", name="图表设计器").click()
    _choose(page, "维度", "类别")
    _choose(page, "分组（颜色）", "等级")
    expect(page.get_by_text("隐患 · 数量 · 按类别")).to_be_visible(timeout=TIMEOUT)
    page.get_by_role("button", name="保存", exact=True).click()
    added = "已将「隐患 · 数量 · 按类别」添加到仪表板「隐患月度看板」"
    expect(page.get_by_text(added)).to_be_visible(timeout=TIMEOUT)

    page.get_by_role("radio", name="查看仪表板").click()
    _idle(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("隐患 · 数量 · 按类别", exact=True)).to_be_visible(timeout=TIMEOUT)
    expect(main.locator(".js-plotly-plot")).to_have_count(1, timeout=TIMEOUT)
    legend = main.locator("text.legendtext", has_text="重大事故隐患")
    expect(legend).to_have_count(1, timeout=TIMEOUT)
    page.wait_for_timeout(600)
    page.screenshot(path=artefacts_dir / "dashboard_built.png", full_page=True)
    assert not outside, outside
