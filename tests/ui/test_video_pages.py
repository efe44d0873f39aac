"""The AI-video screens in the app: each renders in both languages, the live feed shows a new
violation and reviewing it there changes its state (and opens the hazard the rule asks for)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from analytics.video_stats import detector_down
from core.db import session_scope, utcnow
from core.i18n import t
from models.video import Camera, VideoViolation, ViolationState
from tests.factories import make
from tests.modules.test_video_review import VideoWorld, build_video, violation

PAGES = ("pages/video_feed.py", "pages/video_stats.py", "pages/video_cameras.py")
TITLES = {
    "pages/video_feed.py": "page.video_feed",
    "pages/video_stats.py": "page.video_stats",
    "pages/video_cameras.py": "page.video_cameras",
}


@pytest.fixture(scope="module")
def video(ui_world) -> VideoWorld:
    org, _ = ui_world
    with session_scope() as session:
        return build_video(session, org)


def _new(video: VideoWorld, rule_id: int | None = None) -> int:
    with session_scope() as session:
        return violation(session, video, rule_id, snapshot=True).id


def _texts(at) -> str:
    parts = [e.value for kind in ("markdown", "caption", "text", "info", "success") for e in
             getattr(at, kind)]  # fmt: skip
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_page_renders(open_page, video, page: str, lang: str) -> None:
    _new(video)
    at = open_page(page, lang=lang)
    assert not at.exception
    assert at.title[0].value == t(TITLES[page], lang)
    assert "video_ui." not in _texts(at) and "enum." not in _texts(at)
    if page == "pages/video_stats.py":
        charts = at.get("plotly_chart")
        assert len(charts) >= 5
        assert json.loads(charts[0].proto.spec)["data"]
    if page == "pages/video_cameras.py":
        assert at.dataframe and "1号车间枪机" in at.dataframe[0].value.to_string()


def test_feed_shows_new_violation_and_review_changes_it(open_page, video) -> None:
    vid = _new(video, video.auto_rule)
    at = open_page("pages/video_feed.py", as_user="inspector_a")
    assert not at.exception
    assert at.button(key=f"vf_confirm_{vid}")
    at.text_input(key=f"vf_comment_{vid}").input("确认人员闯入")
    at.button(key=f"vf_confirm_{vid}").click().run()
    assert not at.exception
    with session_scope() as session:
        row = session.get(VideoViolation, vid)
        assert row.state == ViolationState.CONFIRMED and row.hazard_id is not None
    assert any(f"#{vid}" in s.value for s in at.success)
    assert not [b for b in at.button if b.key == f"vf_confirm_{vid}"]  # gone from "new"


def test_false_alarm_without_reason_is_refused_on_the_page(open_page, video) -> None:
    vid = _new(video)
    at = open_page("pages/video_feed.py", as_user="inspector_a", lang="en")
    at.button(key=f"vf_false_{vid}").click().run()
    assert not at.exception
    assert any(t("video_review.reason_required", "en") in e.value for e in at.error)
    with session_scope() as session:
        assert session.get(VideoViolation, vid).state == ViolationState.NEW


def test_reader_sees_feed_without_review_buttons(open_page, video) -> None:
    vid = _new(video)
    at = open_page("pages/video_feed.py", as_user="park_supervisor")  # video: view, export
    assert not at.exception
    assert not [b for b in at.button if b.key == f"vf_confirm_{vid}"]
    with session_scope() as session:
        ids = session.exec(select(VideoViolation.id)).all()
    assert vid in ids


NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("reported", "beat", "down"),
    [
        ("running", NOW - timedelta(seconds=10), False),
        ("running", NOW - timedelta(seconds=31), True),
        ("stalled", NOW - timedelta(minutes=5), True),
        ("running", None, True),  # never reported: no detector has run since migration 0009
        ("stopped", None, False),  # a clean stop says so itself
        ("error", NOW - timedelta(hours=1), False),
    ],
)
def test_detector_down_only_doubts_what_a_live_detector_claims(
    reported: str, beat: datetime | None, down: bool
) -> None:
    assert detector_down(reported, beat, NOW) is down


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_health_page_shows_a_quiet_detector_as_not_running(open_page, video, lang) -> None:
    names = {"stale": f"北门枪机 {lang}", "fresh": f"南门枪机 {lang}"}
    with session_scope() as session:
        for which, name in names.items():
            camera = make(session, "camera", name=name, source_uri="synthetic://demo")
            row = session.get(Camera, camera.id)
            row.status = "running"
            row.heartbeat_at = utcnow() - timedelta(minutes=5 if which == "stale" else 0)
            session.add(row)
    at = open_page("pages/video_cameras.py", lang=lang)
    assert not at.exception
    table = at.dataframe[0].value
    status = dict(zip(table.iloc[:, 0], table[t("video_ui.status", lang)], strict=True))
    down, running = t("video_ui.detector_down", lang), t("enum.CameraStatus.running", lang)
    assert down in status[names["stale"]]
    assert t("video_ui.ago_min", lang, n=5) in status[names["stale"]]
    assert down not in status[names["fresh"]] and running in status[names["fresh"]]
    (metric,) = [m for m in at.metric if down in m.label]
    assert int(metric.value) >= 1
