"""The large screen on a wall-sized browser, logged in as the demo's display account.

The account lands on the screen (no sidebar); the screen refreshes itself — the fragment's
tick changes with no page reload — and the panel rotates. Screenshots at 1920x1080 (after one
refresh, then one per panel) and at 3840x2160 go to artefacts/screenshots; nothing may be
fetched from outside the machine (no CDN, no web font, no map tiles).
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from .server import record_outside_requests
from .test_main_paths import DEMO_PASSWORD, TIMEOUT, _idle

EVERY_S = 5  # ?every=: a short interval keeps the test short
HD = {"width": 1920, "height": 1080}
UHD = {"width": 3840, "height": 2160}
PANEL_COUNT = 4


def _tick(page: Page) -> str:
    return page.locator(".bs-tick").first.get_attribute("data-tick") or ""


def _next_refresh(page: Page, before: str) -> str:
    """Wait until the fragment has redrawn itself (its tick moved on) and settled."""
    page.wait_for_function(
        "(t) => { const e = document.querySelector('.bs-tick');"
        " return e && e.dataset.tick !== t; }",
        arg=before,
        timeout=TIMEOUT,
    )
    _idle(page)
    page.wait_for_timeout(600)  # the deck.gl canvas draws after the run ends
    return _tick(page)


def _log_in(page: Page, url: str) -> None:
    """The display account's log-in lands on the screen (no "my to-do list" home page)."""
    page.goto(url)
    form, wall = page.get_by_label("用户名"), page.get_by_role("heading", name="安全生产大屏")
    expect(form.or_(wall).first).to_be_visible(timeout=TIMEOUT)
    if form.count():  # else the session cookie kept the log-in
        form.fill("display")
        page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
    expect(wall).to_be_visible(timeout=TIMEOUT)
    _idle(page)


def _panel(page: Page) -> str:
    found = page.locator("[class*='bs-panel-']").first.get_attribute("class") or ""
    return next(c for c in found.split() if c.startswith("bs-panel-"))


def test_display_account_sees_the_wall_refresh_and_rotate(
    page: Page, app_url: str, artefacts_dir: Path
) -> None:
    outside = record_outside_requests(page)
    page.set_viewport_size(HD)
    _log_in(page, f"{app_url}/?every={EVERY_S}")
    expect(page.get_by_test_id("stSidebar")).to_have_count(0)
    expect(page.locator(".bs-tile")).to_have_count(6)
    assert page.get_by_role("button").count() == 0, "a wall screen has nothing to press"
    background = page.get_by_test_id("stApp").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(11, 18, 32)", background

    url = page.url
    first_panel, tick = _panel(page), _tick(page)
    tick = _next_refresh(page, tick)
    assert page.url == url, "refreshing is no navigation"
    assert _panel(page) != first_panel, "the panel rotated"
    page.screenshot(path=str(artefacts_dir / "big_screen_1080.png"))

    seen: set[str] = set()
    for _ in range(2 * PANEL_COUNT):  # a slow run under load may let one tick pass unseen
        name = _panel(page).removeprefix("bs-panel-")
        if name not in seen:
            page.screenshot(path=str(artefacts_dir / f"big_screen_1080_{name}.png"))
            seen.add(name)
        if len(seen) == PANEL_COUNT:
            break
        tick = _next_refresh(page, tick)
    assert len(seen) == PANEL_COUNT, seen

    # A 4K wall at 100 % scaling, on the map (pinned: the panel that must scale by itself).
    page.set_viewport_size(UHD)
    _log_in(page, f"{app_url}/?every={EVERY_S}&panel=risk_map")
    tick = _next_refresh(page, _tick(page))
    assert _panel(page) == "bs-panel-risk_map"
    size = page.locator(".bs-tile .n").first.evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    assert size >= 100, f"KPI figures scale with the screen (got {size}px at 3840x2160)"
    page.screenshot(path=str(artefacts_dir / "big_screen_2160.png"))

    assert outside == [], f"the wall reached outside localhost: {outside}"

    # A register's address typed on the wall's browser: the wall again, not the hazard ledger.
    page.set_viewport_size(HD)
    _log_in(page, f"{app_url}/hazard_hazard")
    expect(page.get_by_role("heading", name="隐患台账")).to_have_count(0)
    expect(page.get_by_test_id("stDataFrame")).to_have_count(0)
    page.screenshot(path=str(artefacts_dir / "big_screen_register_url.png"))
