"""What a user waits for in a real browser: the log-in form, the workbench after logging in,
a module home page, and a reload that keeps the log-in; on a fresh server and a warm one.

    SAFELOOP_DATA_DIR=/tmp/demoS .venv/bin/python -m core.cli demo --scale S
    SAFELOOP_DATA_DIR=/tmp/demoS .venv/bin/python bench/bench_first_paint.py [--reps 5]

Starts ``safeloop run`` on a free port (as a user would), drives system Chromium with
Playwright, and prints the median and worst seconds per step. The times include the browser
loading Streamlit's bundle, the websocket and the script run, as a person sees them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import Page, sync_playwright

from tests.browser.server import launch_browser, running_app

PASSWORD = "Safeloop2026"


def _until(page: Page, selector: str, started: float) -> float:
    page.wait_for_selector(selector, timeout=60_000)
    return time.monotonic() - started


def one_visit(page: Page, url: str, user: str) -> dict[str, float]:
    times = {}
    started = time.monotonic()
    page.goto(url, wait_until="commit")
    times["log-in form"] = _until(page, "input[type=password]", started)
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    started = time.monotonic()
    page.get_by_role("button", name="登录").click()
    times["workbench after log-in"] = _until(
        page, "[data-testid=stMain] [data-testid=stPageLink]", started
    )
    started = time.monotonic()
    page.locator("[data-testid=stSidebar] a[href$=hazard_home]").click()
    times["hazard module home"] = _until(page, "[data-testid=stMetric]", started)
    started = time.monotonic()
    page.reload(wait_until="commit")
    times["reload, still logged in"] = _until(page, "[data-testid=stMetric]", started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--user", default="safety_head")
    args = parser.parse_args()
    data_dir = Path(os.environ["SAFELOOP_DATA_DIR"])
    samples: dict[str, list[float]] = {}
    with sync_playwright() as pw, running_app(data_dir) as url:
        browser = launch_browser(pw)
        for rep in range(args.reps + 1):
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            times = one_visit(context.new_page(), url, args.user)
            context.close()
            label = "fresh server" if rep == 0 else "warm server"
            for step, seconds in times.items():
                samples.setdefault(f"{step} ({label})", []).append(seconds)
        browser.close()
    for step, values in samples.items():
        print(f"{step:45s} median {statistics.median(values):5.2f} s  worst {max(values):5.2f} s")


if __name__ == "__main__":
    main()
