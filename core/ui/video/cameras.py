"""Camera health (摄像头状态): what each camera's detector last reported, as
``analytics.video_stats.camera_health`` reads it (a "running" camera without frames for 30 s
is stalled; a camera whose detector stopped reporting is "detector not running"). Refreshes
itself."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import streamlit as st

from analytics import video_stats as vs
from core.clock import shown
from core.db import session_scope, utcnow
from core.ui.context import tr
from core.ui.nav import guard
from models.enums import Module
from models.video import CameraStatus

REFRESH_S = 5
DOWN = vs.DETECTOR_DOWN
# Plain symbols: colour emoji need a font an offline kiosk may lack.
MARK = {"running": "●", "stalled": "▲", "error": "✖", "stopped": "○", DOWN: "◌"}
COLOUR = {"running": "green", "stalled": "orange", "error": "red", "stopped": "gray", DOWN: "red"}


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
    status = row["status"]
    text = f"{MARK.get(status, '')} {_label(status)}"
    if status == DOWN:
        age = row["heartbeat_age_s"]
        if age is None:
            return f"{text} {tr('video_ui.no_heartbeat')}"
        return f"{text} {tr('video_ui.last_heartbeat', age=_age(age))}"
    if status != row["reported"]:
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


def _health() -> None:
    actor = guard(Module.VIDEO)
    now = utcnow()
    with session_scope() as session:
        frame = vs.camera_health(session, actor, now)
    statuses = [*CameraStatus, DOWN]
    cells = st.columns(len(statuses))
    for cell, status in zip(cells, statuses, strict=True):
        label = f":{COLOUR[status]}[{MARK[status]}] {_label(status)}"
        cell.metric(label, frame.filter(pl.col("status") == status).height)
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
