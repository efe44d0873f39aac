"""学习积分 / Points and leaderboard: the person's points by reason and the department's and
enterprise's boards over a period, with names. Layout only: the sums are SQL in
``core.training.points``."""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from core.rbac import Actor
from core.training.points import PERIODS, BoardRow, leaderboard, my_points
from core.ui.context import tr
from core.ui.my_cards import labelled
from models.training_learning import PointsReason


def render_points(session: Session, actor: Actor) -> None:
    mine = my_points(session, actor)
    st.metric(tr("points.total"), sum(mine.values()))
    if not mine:
        st.info(tr("points.none"))
    else:
        st.markdown(f"**{tr('points.by_reason')}**")
        for reason in PointsReason:
            if reason in mine:
                st.caption(labelled(tr(f"enum.PointsReason.{reason}"), mine[reason]))
    period = st.segmented_control(
        tr("points.period"),
        PERIODS,
        format_func=lambda p: tr(f"points.period.{p}"),
        default="month",
        key="points_period",
    )
    period = period or "month"
    for scope, title in (
        ("department", "points.board_department"),
        ("enterprise", "points.board_enterprise"),
    ):
        st.subheader(tr(title))
        _board(leaderboard(session, actor, scope, period))


def _board(rows: list[BoardRow]) -> None:
    if not rows:
        st.caption(tr("points.board_empty"))
        return
    st.dataframe(
        [
            {
                tr("points.col_rank"): row.rank,
                tr("points.col_name"): row.name,
                tr("points.col_department"): row.department or "",
                tr("points.col_points"): row.points,
            }
            for row in rows
        ],
        hide_index=True,
        width="stretch",
    )
