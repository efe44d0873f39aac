"""The live violation feed in a real browser, fed by a real detector process.

The safety manager keeps the feed open; ``safeloop detector run`` starts on a demo camera
(the synthetic scene and the shipped ONNX model) against the same database. Its violations
appear on the open page by themselves — the feed is a fragment that refreshes every few
seconds, no reload — with the annotated snapshot; the manager confirms one. SIGTERM then stops
the detector cleanly. Screenshots go to artefacts/screenshots.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from .server import REPO_ROOT
from .test_main_paths import TIMEOUT, _idle, _login, _open

DETECTOR_WAIT_S = 90  # model load + the first intrusion on a shared 2-core machine


def _camera(db: Path) -> tuple[int, str]:
    """An enabled demo camera with an intrusion rule on its danger zone."""
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT c.id, c.name FROM camera c JOIN video_zone z ON z.camera_id = c.id "
            "JOIN video_rule r ON r.zone_id = z.id WHERE c.enabled AND z.kind = 'DANGER' "
            "AND r.kind = 'INTRUSION' AND r.enabled AND c.source_uri LIKE 'synthetic://%' "
            "ORDER BY c.id LIMIT 1"
        ).fetchone()


def _live(db: Path, camera: int) -> list[tuple[int, str]]:
    """The detector's own rows (they carry an idempotency key; demo rows do not); SQLite
    keeps enum names (NEW, CONFIRMED)."""
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT id, state FROM video_violation WHERE camera_id = ? AND idem_key IS NOT NULL "
            "ORDER BY id",
            (camera,),
        ).fetchall()


def _first_live(db: Path, camera: int, detector: subprocess.Popen[bytes]) -> int:
    """Wait for the detector's first committed violation on ``camera``."""
    deadline = time.monotonic() + DETECTOR_WAIT_S
    while time.monotonic() < deadline:
        assert detector.poll() is None, "the detector stopped before writing anything"
        rows = _live(db, camera)
        if rows:
            return rows[0][0]
        time.sleep(0.5)
    raise AssertionError(f"no violation from camera {camera} in {DETECTOR_WAIT_S} s")


def test_detector_violations_arrive_on_the_open_feed_and_are_reviewed(
    page: Page, app_url: str, app_data_dir: Path, artefacts_dir: Path
) -> None:
    db = app_data_dir / "safeloop.db"
    camera, name = _camera(db)
    _login(page, app_url, "safety_manager")
    _open(page, "违章实时推送", via="智能视频")
    page.screenshot(path=str(artefacts_dir / "video_feed_before.png"), full_page=True)

    env = {**os.environ, "SAFELOOP_DATA_DIR": str(app_data_dir), "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "core.cli", "detector", "run", "--camera", str(camera)]
    log_path = app_data_dir / "detector.log"
    with log_path.open("wb") as log:
        detector = subprocess.Popen(
            cmd, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        first = _first_live(db, camera, detector)
        card = page.locator(f".st-key-vf_card_{first}")
        expect(card).to_be_visible(timeout=TIMEOUT)  # the next refresh brings it, no reload
        expect(card).to_contain_text(name)
        expect(card).to_contain_text("人员闯入")
        expect(card).to_contain_text("秒前")
        expect(card.get_by_test_id("stImage")).to_be_visible(timeout=TIMEOUT)
        page.screenshot(path=str(artefacts_dir / "video_feed_live.png"), full_page=True)
    finally:
        detector.send_signal(signal.SIGTERM)
        code = detector.wait(timeout=60)
    assert code == 0, log_path.read_text(errors="replace")[-3000:]

    rows = _live(db, camera)
    assert all(state == "NEW" for _, state in rows)
    _idle(page)
    page.locator(f".st-key-vf_confirm_{first} button").click()
    expect(page.get_by_text(f"违章 #{first} 已确认")).to_be_visible(timeout=TIMEOUT)
    page.screenshot(path=str(artefacts_dir / "video_feed_confirmed.png"), full_page=True)
    assert dict(_live(db, camera))[first] == "CONFIRMED"
