"""Violation statistics (违章统计): where and when the detector fires, and how often its alarms
turn out false against the seed material's ≤ 3 % claim."""

from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
import polars as pl
import streamlit as st
from sqlmodel import Session

from analytics import video_stats as vs
from core.clock import site_today
from core.config import get_settings
from core.crud.lookup import options
from core.db import session_scope
from core.rbac import Actor
from core.ui.context import tr
from core.ui.nav import guard
from core.ui.plot import show_chart
from core.ui.widgets import one_or_all
from core.video.review import cameras_for
from models.enums import Module

MARGIN = {"l": 10, "r": 10, "t": 20, "b": 10}
BAR, WARN, OK = "#4a78b0", "#d62728", "#2a9d8f"


def _query(session: Session, actor: Actor, today: date) -> vs.VideoQuery:
    enterprises = options(session, "enterprise", actor)
    many = len(enterprises) > 1
    cells = iter(st.columns([3, 3, 3] if many else [3, 3]))
    period = next(cells).date_input(
        tr("video_ui.period"),
        value=(vs.default_start(today), today),
        max_value=today,
        key="video_stats_period",
    )
    start, end = (period[0], period[-1]) if isinstance(period, tuple) and period else (today, today)
    enterprise_id = None
    if many:
        enterprise_id = one_or_all(
            next(cells), tr("video_ui.enterprise"), enterprises, "video_stats_enterprise"
        )
    cameras = cameras_for(session, actor)
    camera_id = one_or_all(next(cells), tr("video_ui.camera"), cameras, "video_stats_camera")
    return vs.VideoQuery(start, end, enterprise_id, camera_id, get_settings().timezone)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _kpis(rate: vs.ReviewRate) -> None:
    cells = st.columns(5)
    cells[0].metric(tr("video_ui.total"), rate.total)
    cells[1].metric(tr("video_ui.reviewed"), rate.reviewed)
    cells[2].metric(tr("video_ui.pending"), rate.pending)
    cells[3].metric(tr("video_ui.false_alarms"), rate.false_alarms)
    share = rate.share if rate.reviewed else None
    delta = None
    if share is not None:
        delta = tr("video_ui.vs_target", diff=f"{(share - vs.FALSE_ALARM_TARGET) * 100:+.1f}")
    cells[4].metric(
        tr("video_ui.false_alarm_rate"),
        _pct(share),
        delta=delta,
        delta_color="inverse",
        help=tr("video_ui.false_alarm_definition"),
    )
    target = _pct(vs.FALSE_ALARM_TARGET)
    if rate.within_target is None:
        st.info(tr("video_ui.nothing_reviewed"))
    elif rate.within_target:
        st.success(tr("video_ui.within_target", share=_pct(share), target=target))
    else:
        st.warning(tr("video_ui.over_target", share=_pct(share), target=target))


def _bars(x: list, y: list, *, horizontal: bool = False, height: int = 300) -> go.Figure:
    fig = go.Figure()
    if horizontal:
        fig.add_bar(x=y[::-1], y=x[::-1], orientation="h", marker_color=BAR)
    else:
        fig.add_bar(x=x, y=y, marker_color=BAR)
    fig.update_layout(margin=MARGIN, height=height, yaxis={"automargin": True})
    if not horizontal:
        fig.update_layout(xaxis={"type": "category"}, yaxis_title=tr("video_ui.count"))
    else:
        fig.update_layout(xaxis_title=tr("video_ui.count"))
    return fig


def _day_chart(frame: pl.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(
        x=frame["day"].to_list(),
        y=frame["count"].to_list(),
        mode="lines",
        line={"color": BAR, "width": 1.5},
        fill="tozeroy",
        name=tr("video_ui.count"),
    )
    fig.update_layout(margin=MARGIN, height=280, yaxis_title=tr("video_ui.count"))
    return fig


def _share_chart(frame: pl.DataFrame) -> go.Figure:
    """False-alarm share per rule kind against the target line."""
    shares = [None if s is None else s * 100 for s in frame["share"].to_list()]
    colours = [WARN if s is not None and s > vs.FALSE_ALARM_TARGET * 100 else OK for s in shares]
    fig = go.Figure()
    fig.add_bar(
        x=[tr(f"enum.RuleKind.{k}") for k in frame["kind"]],
        y=shares,
        marker_color=colours,
        text=[_pct(None if s is None else s / 100) for s in shares],
        textposition="outside",
    )
    fig.add_hline(
        y=vs.FALSE_ALARM_TARGET * 100,
        line_dash="dot",
        line_color="#555",
        annotation_text=tr("video_ui.target_line"),
        annotation_position="top left",
    )
    top = max([s for s in shares if s is not None] + [vs.FALSE_ALARM_TARGET * 100]) * 1.3
    fig.update_layout(
        margin=MARGIN,
        height=300,
        yaxis={"title": tr("video_ui.false_alarm_rate") + " (%)", "range": [0, top]},
        xaxis={"type": "category"},
    )
    return fig


def _chart(fig: go.Figure) -> None:
    show_chart(fig)


def _rule_table(frame: pl.DataFrame) -> None:
    st.subheader(tr("video_ui.by_rule"))
    if frame.is_empty():
        st.info(tr("video_ui.empty"))
        return
    target = vs.FALSE_ALARM_TARGET
    st.dataframe(
        {
            tr("video_ui.rule"): frame["rule"].to_list(),
            tr("video_ui.kind"): [tr(f"enum.RuleKind.{k}") if k else "" for k in frame["kind"]],
            tr("video_ui.camera"): frame["camera"].to_list(),
            tr("video_ui.zone"): frame["zone"].to_list(),
            tr("video_ui.total"): frame["total"].to_list(),
            tr("video_ui.reviewed"): frame["reviewed"].to_list(),
            tr("video_ui.false_alarms"): frame["false_alarms"].to_list(),
            tr("video_ui.false_alarm_rate"): [_pct(s) for s in frame["share"]],
            tr("video_ui.over"): [
                "⚠" if s is not None and s > target else "" for s in frame["share"].to_list()
            ],
        },
        hide_index=True,
        height=360,
    )


def render() -> None:
    actor = guard(Module.VIDEO)
    st.title(tr("page.video_stats"))
    today = site_today()
    with session_scope() as session:
        q = _query(session, actor, today)
        rate = vs.review_rate(session, actor, q)
        kinds = vs.by_kind(session, actor, q)
        days = vs.by_day(session, actor, q)
        hours = vs.by_hour(session, actor, q)
        cameras = vs.by_camera(session, actor, q)
        zones = vs.by_zone(session, actor, q)
        shares = vs.false_alarms_by_kind(session, actor, q)
        rules = vs.false_alarms_by_rule(session, actor, q)
    _kpis(rate)
    if rate.total == 0:
        st.info(tr("video_ui.empty"))
        return
    left, right = st.columns(2)
    with left:
        st.subheader(tr("video_ui.by_kind"))
        _chart(_bars([tr(f"enum.RuleKind.{k}") for k in kinds["kind"]], kinds["count"].to_list()))
    with right:
        st.subheader(tr("video_ui.false_alarm_by_kind"))
        _chart(_share_chart(shares))
    st.subheader(tr("video_ui.by_day"))
    _chart(_day_chart(days))
    left, right = st.columns(2)
    with left:
        st.subheader(tr("video_ui.by_hour"))
        _chart(_bars([f"{h:02d}" for h in hours["hour"]], hours["count"].to_list()))
    with right:
        st.subheader(tr("video_ui.by_camera", top=vs.TOP))
        _chart(_bars(cameras["camera"].to_list(), cameras["count"].to_list(), horizontal=True))
    st.subheader(tr("video_ui.by_zone", top=vs.TOP))
    zone_labels = [  # demo zones already carry their camera's name
        z if not c or c in z else f"{z} · {c}"
        for z, c in zip(zones["zone"], zones["camera"], strict=True)
    ]
    _chart(_bars(zone_labels, zones["count"].to_list(), horizontal=True, height=380))
    _rule_table(rules)
