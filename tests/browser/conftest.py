"""Fixtures for the browser tests: one app server per session, system Chromium, zh-CN pages.

Every test in this folder is marked ``browser``. When Chromium or the Playwright client is
missing they are skipped (with the reason in the summary) before the server is even started,
so a machine without a browser still runs the rest of the suite green.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.demo_cache import copy_demo

from .server import CHROMIUM, REPO_ROOT, launch_browser, running_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

HERE = Path(__file__).resolve().parent
ARTEFACTS_DIR = REPO_ROOT / "artefacts" / "screenshots"
VIEWPORT = {"width": 1400, "height": 900}


def _missing_reason() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (apt-get install -y chromium)"
    if importlib.util.find_spec("playwright") is None:
        return 'playwright not installed (pip install -e ".[test]")'
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark this folder's tests ``browser``; skip them all early when no browser is available."""
    reason = _missing_reason()
    for item in items:
        if HERE not in Path(str(item.path)).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"browser test skipped: {reason}"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item so ``page`` can screenshot failures."""
    report = yield
    setattr(item, f"_report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def artefacts_dir() -> Path:
    """<repo>/artefacts/screenshots (git-ignored): screenshots a person can look at."""
    ARTEFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTEFACTS_DIR


@pytest.fixture(scope="session")
def app_data_dir(tmp_path_factory: pytest.TempPathFactory, run_root: Path) -> Path:
    """The server's data dir: a copy of the run's demo (``tests/demo_cache.py``), which tests
    also read to look up demo names."""
    return copy_demo(run_root, tmp_path_factory.mktemp("safeloop-browser-data"))


@pytest.fixture(scope="session")
def app_url(app_data_dir: Path) -> Iterator[str]:
    """Base URL of one SafeLoop server (demo data, fresh temp data dir) shared by the session."""
    with running_app(app_data_dir) as url:
        yield url


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """The Playwright driver, started once per session."""
    reason = _missing_reason()
    if reason:
        print(f"\nbrowser tests skipped: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """System Chromium, offline-friendly flags (see tests/browser/server.py)."""
    browser = launch_browser(playwright)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser, artefacts_dir: Path, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh context per test (no shared cookies/session), desktop size, Chinese locale.

    On failure a full-page screenshot goes to artefacts/screenshots/FAILED-<test>.png.
    """
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "_report_call", None)
    if report is not None and report.failed:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        try:
            page.screenshot(path=str(artefacts_dir / f"FAILED-{name}.png"), full_page=True)
        except Exception as exc:  # a dead page must not hide the real failure
            print(f"could not save failure screenshot: {exc}")
    context.close()
