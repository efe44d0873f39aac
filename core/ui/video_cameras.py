"""Camera health (摄像头状态): what each camera's detector last reported, with a "running"
camera whose heartbeat went quiet for more than 30 s shown as stalled, and a running or
stalled camera whose detector stopped reporting (``Camera.heartbeat_at``) shown as "detector
not running": the row keeps whatever the service wrote before it died. Refreshes itself."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import polars as pl
import streamlit as st
from sqlmodel import Session, col, select

from analytics import video_stats as vs
from core.clock import shown
from core.db import session_scope, utcnow
from core.ui.context import tr
from core.ui.nav import guard
from models.enums import Module
from models.video import Camera, CameraStatus

REFRESH_S = 5
DOWN = "detector_down"  # shown instead of the stored status when the detector went quiet
ALIVE = (CameraStatus.RUNNING, CameraStatus.STALLED)  # what only a live detector can claim
# Plain symbols: colour emoji need a font an offline kiosk may lack.
MARK = {"running": "●", "stalled": "▲", "error": "✖", "stopped": "○", DOWN: "◌"}
COLOUR = {"running": "green", "stalled": "orange", "error": "red", "stopped": "gray", DOWN: "red"}


def detector_down(
    reported: str,
    heartbeat_at: datetime | None,
    now: datetime,
    stale_after_s: float = vs.STALE_AFTER_S,
) -> bool:
    """True when the camera row says running or stalled but the detector has not reported for
    more than ``stale_after_s`` (or never did): the service died or was never started, so the
    row's status is only its last word. Times are aware UTC.

    Example:
        >>> now = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
        >>> detector_down("running", now - timedelta(minutes=2), now)
        True
        >>> detector_down("stopped", None, now)
        False
    """
    if reported not in ALIVE:
        return False
    if heartbeat_at is None:
        return True
    return (now - heartbeat_at).total_seconds() > stale_after_s


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < -5:  # the detector's clock runs ahead of this server's
        return tr("video_ui.clock_ahead")
    s = max(0, int(seconds))
    if s < 60:
        return tr("video_ui.ago_s", n=s)
    if s < 3600:
        return tr("video_ui.ago_min", n=s // 60)
    if s < 86400:
        return tr("video_ui.ago_h", n=s // 3600)
    return tr("video_ui.ago_d", n=s // 86400)


def _num(value: float | None, fmt: str) -> str:
    return "—" if value is None else fmt.format(value)


def _label(status: str) -> str:
    return tr("video_ui.detector_down") if status == DOWN else tr(f"enum.CameraStatus.{status}")


def _status(row: dict) -> str:
    status = row["shown"]
    text = f"{MARK.get(status, '')} {_label(status)}"
    if status == DOWN:
        age = row["heartbeat_age_s"]
        if age is None:
            return f"{text} {tr('video_ui.no_heartbeat')}"
        return f"{text} {tr('video_ui.last_heartbeat', age=_age(age))}"
    if row["status"] != row["reported"]:
        text += " " + tr("video_ui.stale_note", reported=tr(f"enum.CameraStatus.{row['reported']}"))
    return text


def _table(frame: pl.DataFrame) -> None:
    rows = frame.to_dicts()
    st.dataframe(
        {
            tr("video_ui.camera"): [r["camera"] for r in rows],
            tr("video_ui.area"): [r["area"] for r in rows],
            tr("video_ui.status"): [_status(r) for r in rows],
            tr("video_ui.fps"): [
                f"{_num(r['fps'], '{:.1f}')} / {_num(r['fps_target'], '{:g}')}" for r in rows
            ],
            tr("video_ui.lag"): [_num(r["lag_ms"], "{:.0f} ms") for r in rows],
            tr("video_ui.last_frame"): [
                shown(r["last_frame_at"], "%Y-%m-%d %H:%M:%S") if r["last_frame_at"] else "—"
                for r in rows
            ],
            tr("video_ui.ago"): [_age(r["age_s"]) for r in rows],
            tr("video_ui.last_error"): [r["last_error"] or "" for r in rows],
        },
        hide_index=True,
        height=min(38 + 35 * max(len(rows), 1), 760),
    )


def _heartbeats(session: Session, camera_ids: Iterable[int]) -> dict[int, datetime | None]:
    """``{camera_id: heartbeat_at}``, aware UTC (SQLite hands datetimes back naive)."""
    stmt = select(Camera.id, Camera.heartbeat_at).where(col(Camera.id).in_(list(camera_ids)))
    return {
        camera_id: beat if beat is None or beat.tzinfo else beat.replace(tzinfo=UTC)
        for camera_id, beat in session.exec(stmt).all()
    }


def _with_detector(
    frame: pl.DataFrame, beats: dict[int, datetime | None], now: datetime
) -> pl.DataFrame:
    """Add ``shown`` (the status, or ``DOWN``) and ``heartbeat_age_s`` to the health frame."""
    statuses, ages = [], []
    for row in frame.iter_rows(named=True):
        beat = beats.get(row["camera_id"])
        statuses.append(DOWN if detector_down(row["reported"], beat, now) else row["status"])
        ages.append(None if beat is None else (now - beat).total_seconds())
    return frame.with_columns(
        shown=pl.Series(statuses, dtype=pl.String),
        heartbeat_age_s=pl.Series(ages, dtype=pl.Float64),
    )


def _health() -> None:
    actor = guard(Module.VIDEO)
    now = utcnow()
    with session_scope() as session:
        frame = vs.camera_health(session, actor, now)
        beats = _heartbeats(session, frame["camera_id"].to_list())
    frame = _with_detector(frame, beats, now)
    statuses = [*CameraStatus, DOWN]
    cells = st.columns(len(statuses))
    for cell, status in zip(cells, statuses, strict=True):
        label = f":{COLOUR[status]}[{MARK[status]}] {_label(status)}"
        cell.metric(label, frame.filter(pl.col("shown") == status).height)
    st.caption(
        tr("video_ui.health_note", seconds=vs.STALE_AFTER_S, time=shown(now, "%H:%M:%S"))
        + " "
        + tr("video_ui.detector_down_note", seconds=vs.STALE_AFTER_S)
    )
    if frame.is_empty():
        st.info(tr("video_ui.no_cameras"))
        return
    _table(frame)


def render() -> None:
    guard(Module.VIDEO)
    st.title(tr("page.video_cameras"))
    st.fragment(_health, run_every=timedelta(seconds=REFRESH_S))()
