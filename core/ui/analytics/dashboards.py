"""The dashboards page (自定义仪表板): the analyst's own and shared dashboards, each a grid of
charts computed for the viewer, and the chart builder that adds to them.

Every chart is computed when the page runs, under the viewer's modules and scope; nothing is
cached, so a new record shows on the next run — by default within a minute, as the charts
redraw themselves in a fragment (the builder and the rest of the page do not).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial

import streamlit as st
from sqlmodel import Session

from analytics import datasets as dm
from analytics import sql_console as sc
from analytics.duck import Connection, locked_connection
from core.clock import local, site_today
from core.config import get_settings
from core.db import get_engine, session_scope, utcnow
from core.i18n import Translatable
from core.rbac import Actor
from core.reporting.dashboards import (
    QueryPlot,
    chart_query,
    chart_to_edit,
    charts,
    create_dashboard,
    delete_dashboard,
    move_chart,
    remove_chart,
    update_dashboard,
    visible_dashboards,
)
from core.ui.analytics.chart_builder import describe, load_spec, render_builder, show_spec
from core.ui.analytics.charts import figure
from core.ui.analytics.query_error import show_query_error
from core.ui.context import flash, show_flash, tr
from core.ui.nav import guard
from core.ui.plot import show_chart
from models.analytics import Dashboard, DashboardChart
from models.enums import Module

KEY = "dashboards"
WANT = f"{KEY}_want"  # the dashboard to show after a create
EDIT = f"{KEY}_chart_to_edit"  # the chart to open in the builder on the next run
MODE = f"{KEY}_mode"
COLUMNS = 2
#: A pinned query draws at most this many rows and gives up after this many seconds.
PINNED_LIMITS = sc.Limits(rows=5_000, seconds=15)
REFRESH_S = 60


def _write(action: Callable[[Session], object], ok: str) -> bool:
    """Run one dashboard change (``action(session)``) in its own transaction; show the refusal
    or flash ``ok``."""
    try:
        with session_scope() as session:
            result = action(session)
    except Translatable as exc:
        show_query_error(exc)
        return False
    if isinstance(result, Dashboard):
        st.session_state[WANT] = result.id  # show it after the rerun
    flash("success", ok)
    return True


def _new_dashboard(actor: Actor) -> None:
    with st.popover(tr("dashboard.new")), st.form(f"{KEY}_new", clear_on_submit=True):
        name = st.text_input(tr("dashboard.name"), key=f"{KEY}_new_name")
        shared = st.toggle(tr("dashboard.shared"), key=f"{KEY}_new_shared")
        if st.form_submit_button(tr("dashboard.create"), key=f"{KEY}_new_button"):
            create = partial(create_dashboard, actor=actor, name=name, shared=shared)
            if _write(create, tr("dashboard.created", name=name.strip())):
                st.rerun()


def _manage(actor: Actor, board: Dashboard) -> None:
    with st.popover(tr("dashboard.manage")):
        key = f"{KEY}_edit_{board.id}"  # per dashboard: the fields start from its own values
        with st.form(key):
            name = st.text_input(tr("dashboard.name"), value=board.name, key=f"{key}_name")
            shared = st.toggle(tr("dashboard.shared"), value=board.shared, key=f"{key}_shared")
            if st.form_submit_button(tr("dashboard.save"), key=f"{key}_button"):
                change = partial(
                    update_dashboard, actor=actor, dashboard_id=board.id, name=name, shared=shared
                )
                if _write(change, tr("dashboard.saved", name=name.strip())):
                    st.rerun()
        sure = st.checkbox(tr("dashboard.delete_confirm"), key=f"{key}_sure")
        if st.button(tr("dashboard.delete"), disabled=not sure, key=f"{KEY}_delete"):
            drop = partial(delete_dashboard, actor=actor, dashboard_id=board.id)
            if _write(drop, tr("dashboard.deleted", name=board.name)):
                st.rerun()


def _pick(actor: Actor, boards: dict[int, Dashboard]) -> Dashboard | None:
    def label(b: Dashboard) -> str:
        if b.owner_id != actor.user_id:
            return tr("dashboard.theirs", name=b.name)
        return tr("dashboard.mine_shared" if b.shared else "dashboard.mine", name=b.name)

    labels = {i: label(b) for i, b in boards.items()}
    pick, new, manage = st.columns([4, 1, 1], vertical_alignment="bottom")
    chosen = None
    if boards:
        wanted = st.session_state.pop(WANT, None)
        if wanted in labels:
            st.session_state[f"{KEY}_pick"] = wanted
        elif st.session_state.get(f"{KEY}_pick") not in labels:
            st.session_state[f"{KEY}_pick"] = next(iter(boards))
        chosen = pick.selectbox(
            tr("dashboard.pick"), list(labels), format_func=labels.__getitem__, key=f"{KEY}_pick"
        )
    with new:
        _new_dashboard(actor)
    board = boards.get(chosen) if chosen is not None else None
    if board is not None and board.owner_id == actor.user_id:
        with manage:
            _manage(actor, board)
    return board


def _query_chart(actor: Actor, chart: DashboardChart, key: str) -> None:
    with session_scope() as session:
        query = chart_query(session, chart)
        sql, name = (query.sql, query.name) if query else (None, None)
    if sql is None:
        st.warning(tr("dashboard.query_gone"))
        return
    plot = QueryPlot.from_dict(chart.spec)
    try:
        result = sc.run_query(get_engine(), actor, sql, PINNED_LIMITS)
    except Translatable as exc:
        show_query_error(exc)
        return
    frame = result.frame
    missing = [c for c in (plot.x, plot.y, plot.colour) if c and c not in frame.columns]
    if plot.kind == "table" or frame.is_empty():
        st.dataframe(frame, hide_index=True, width="stretch", key=key)
    elif missing:
        st.warning(tr("dashboard.columns_gone", columns=", ".join(missing)))
    else:
        fig = figure(frame, plot.kind, plot.x, plot.y, plot.colour)
        show_chart(fig, key=key)
    st.caption(tr("dashboard.from_query", name=name, rows=frame.height))


def _controls(actor: Actor, chart: DashboardChart, first: bool, last: bool) -> None:
    up, down, edit, drop, _ = st.columns([1, 1, 1, 1, 5])
    key = f"{KEY}_{chart.id}"
    if chart.saved_query_id is None and edit.button(
        "✎", key=f"{key}_edit", help=tr("dashboard.edit")
    ):
        st.session_state[EDIT] = chart.id
        st.rerun()
    for cell, step, icon, off in ((up, -1, "↑", first), (down, 1, "↓", last)):
        if cell.button(icon, key=f"{key}_{step}", disabled=off, help=tr(f"dashboard.move.{step}")):
            move = partial(move_chart, actor=actor, chart_id=chart.id, step=step)
            if _write(move, tr("dashboard.moved", title=chart.title)):
                st.rerun()
    if drop.button("✕", key=f"{key}_remove", help=tr("dashboard.remove")):
        remove = partial(remove_chart, actor=actor, chart_id=chart.id)
        if _write(remove, tr("dashboard.removed", title=chart.title)):
            st.rerun()


def _charts(con: Connection, actor: Actor, board: Dashboard, today: date) -> None:
    with session_scope() as session:
        shown = [c.model_copy() for c in charts(session, board.id or 0)]
    if not shown:
        st.info(tr("dashboard.empty"))
        return
    mine = board.owner_id == actor.user_id
    cells = st.columns(COLUMNS)
    for i, chart in enumerate(shown):
        with cells[i % COLUMNS].container(border=True):
            st.markdown(f"**{chart.title}**")
            key = f"{KEY}_chart_{chart.id}"
            if chart.saved_query_id is not None:
                _query_chart(actor, chart, key)
            else:
                try:
                    spec = dm.ChartSpec.from_dict(chart.spec)
                except Translatable as exc:
                    show_query_error(exc)
                else:
                    show_spec(con, actor, spec, key, today)
                    st.caption(describe(spec))
            if mine:
                _controls(actor, chart, i == 0, i == len(shown) - 1)


def _board(actor: Actor, board: Dashboard, auto: bool) -> None:
    """The fragment: the dashboard's charts, recomputed every ``REFRESH_S`` seconds when
    ``auto`` (the rest of the page stays as it is)."""
    with locked_connection(get_settings().db_url) as con:
        _charts(con, actor, board, site_today())
    now = local(utcnow()).strftime("%H:%M:%S")
    key = "dashboard.refreshed_auto" if auto else "dashboard.refreshed"
    st.caption(tr(key, time=now, seconds=REFRESH_S))


def _open_edit(session: Session, actor: Actor) -> None:
    """Before the widgets exist: a chart whose ✎ was pressed goes into the builder, and after
    its edit the page goes back to the dashboard (``EDIT`` = ``None``)."""
    if EDIT not in st.session_state:
        return
    chart_id = st.session_state.pop(EDIT)
    chart = chart_to_edit(session, actor, chart_id) if chart_id is not None else None
    if chart is None:
        st.session_state[MODE] = "view"
        return
    try:
        load_spec(dm.ChartSpec.from_dict(chart.spec), chart.id or 0, chart.title)
    except Translatable as exc:
        show_query_error(exc)
        return
    st.session_state[MODE] = "build"


def render() -> None:
    actor = guard(Module.ANALYTICS)
    st.title(tr("page.analytics_dashboards"))
    st.caption(tr("dashboard.caption"))
    show_flash()
    with session_scope() as session:
        boards = {b.id: b.model_copy() for b in visible_dashboards(session, actor)}
        _open_edit(session, actor)
    board = _pick(actor, boards)  # type: ignore[arg-type]
    modes = {"view": tr("dashboard.mode.view"), "build": tr("dashboard.mode.build")}
    mode = st.segmented_control(  # deselecting it falls back to the view
        tr("dashboard.mode"),
        list(modes),
        format_func=modes.__getitem__,
        default="view",
        key=MODE,
        label_visibility="collapsed",
    )
    if mode == "build":
        own = {i: b.name for i, b in boards.items() if b.owner_id == actor.user_id}
        if board is not None and board.id in own:  # save to the dashboard picked above
            own = {board.id: own[board.id]} | own
        with locked_connection(get_settings().db_url) as con:
            built = render_builder(con, actor, own)
        if built:
            st.session_state[EDIT] = None  # back to the dashboard
            st.rerun()
    elif board is None:
        st.info(tr("dashboard.none"))
    else:
        auto = st.toggle(
            tr("dashboard.auto_refresh"),
            value=True,
            key=f"{KEY}_auto",
            help=tr("dashboard.auto_refresh_help", seconds=REFRESH_S),
        )
        run_every = timedelta(seconds=REFRESH_S) if auto else None
        st.fragment(_board, run_every=run_every)(actor, board, auto)
