"""The SQL console page: schema browser, editor, limits, result grid, chart, exports and saved
queries. Everything it shows comes from ``analytics.sql_console``, which enforces the rules."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import streamlit as st

from analytics import sql_console as sc
from core.db import get_engine, session_scope
from core.i18n import Translatable
from core.rbac import Actor
from core.reporting.dashboards import QueryPlot, pin_sql, visible_dashboards
from core.reporting.saved_queries import delete_query, save_query, visible_queries
from core.ui.analytics.charts import add_to_dashboard, figure
from core.ui.analytics.query_error import show_query_error
from core.ui.context import flash, lang, show_flash, tr
from core.ui.nav import guard
from core.ui.plot import show_chart
from models.analytics import SavedQuery
from models.enums import Module

KEY = "sql_console"
SQL_KEY = f"{KEY}_sql"
RESULT_KEY = f"{KEY}_result"
CHART_KINDS = ("none", "bar", "line", "scatter", "pie")
DEFAULT_SQL = "SELECT 1 AS x"


def _cell(text: str) -> str:
    """Markdown table cell: our own labels, with the few characters that break a table escaped."""
    return text.replace("|", "\\|").replace("\n", " ")


def _schema_browser(actor: Actor) -> None:
    tables = sc.schema(actor, lang())
    st.subheader(tr("sql_console.schema"))
    st.caption(tr("sql_console.schema_count", n=len(tables)))
    head = [tr(f"sql_console.col.{c}") for c in ("name", "type", "label", "description")]
    with st.container(height=640):
        for table in tables:
            with st.expander(f"{table.label} · {table.name}"):
                lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                lines += [
                    f"| `{c.name}` | {c.type} | {_cell(c.label)} | {_cell(c.description)} |"
                    for c in table.columns
                ]
                st.markdown("\n".join(lines))


def _run(actor: Actor, sql: str, limits: sc.Limits) -> None:
    try:
        # The query text travels with its result: that is what a pin stores.
        st.session_state[RESULT_KEY] = (sql, sc.run_query(get_engine(), actor, sql, limits))
    except sc.Refused as exc:
        st.session_state.pop(RESULT_KEY, None)
        show_query_error(exc)


def _chart(frame: pl.DataFrame) -> QueryPlot:
    """The chart settings and the chart; ``none`` is pinned as a table."""
    st.subheader(tr("sql_console.chart"))
    columns = frame.columns
    cells = st.columns(4)
    # Labels are computed during the run: a format_func calling tr() later (AppTest replays
    # widget values outside the run) would not know the user's language.
    kinds = {k: tr(f"sql_console.chart.kind.{k}") for k in CHART_KINDS}
    kind = cells[0].selectbox(
        tr("sql_console.chart.kind"),
        CHART_KINDS,
        format_func=kinds.__getitem__,
        key=f"{KEY}_chart_kind",
    )
    x = cells[1].selectbox(tr("sql_console.chart.x"), columns, key=f"{KEY}_chart_x")
    numeric = [c for c, d in frame.schema.items() if d.is_numeric()] or columns
    y = cells[2].selectbox(
        tr("sql_console.chart.y"), numeric, index=len(numeric) - 1, key=f"{KEY}_chart_y"
    )
    none = tr("sql_console.chart.none")
    colour = cells[3].selectbox(
        tr("sql_console.chart.colour"),
        [None, *columns],
        format_func=lambda c: none if c is None else c,
        key=f"{KEY}_chart_colour",
    )
    plot = QueryPlot("table" if kind == "none" else kind, x, y, colour)
    if kind != "none" and x in columns and y in columns:
        show_chart(figure(frame, kind, x, y, colour), key=f"{KEY}_chart")
    return plot


def _pin(actor: Actor, sql: str, plot: QueryPlot) -> None:
    """Pin the query, drawn as now, to one of the analyst's dashboards."""
    with session_scope() as session:
        boards = {
            b.id: b.name for b in visible_dashboards(session, actor) if b.owner_id == actor.user_id
        }
    add_to_dashboard(
        f"{KEY}_pin",
        tr("sql_console.pin"),
        tr("sql_console.pin.button"),
        tr("sql_console.pin.no_dashboard"),
        boards,  # type: ignore[arg-type]
        lambda session, board, title: pin_sql(session, actor, board, title, sql, plot),
    )


def _downloads(frame: pl.DataFrame) -> None:
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    for cell, fmt in zip(st.columns(len(sc.EXPORT_FORMATS)), sc.EXPORT_FORMATS, strict=True):
        cell.download_button(
            tr(f"sql_console.download.{fmt}"),
            sc.export(frame, fmt),
            file_name=f"query-{stamp}.{fmt}",
            mime=sc.EXPORT_MIME[fmt],
            key=f"{KEY}_dl_{fmt}",
        )


def _result(actor: Actor, sql: str, result: sc.QueryResult) -> None:
    frame = result.frame
    st.caption(
        tr("sql_console.summary", rows=frame.height, ms=result.query_ms, copy_ms=result.copy_ms)
    )
    if result.truncated:
        st.warning(tr("sql_console.truncated", limit=frame.height))
    if frame.is_empty():
        st.info(tr("sql_console.no_rows"))
        return
    st.dataframe(frame, hide_index=True, key=f"{KEY}_grid")
    _downloads(frame)
    _pin(actor, sql, _chart(frame))


def _load(sql: str) -> None:
    st.session_state[SQL_KEY] = sql


def _saved(actor: Actor) -> None:
    st.subheader(tr("sql_console.saved"))
    with session_scope() as session:
        queries = {q.id: q.model_copy() for q in visible_queries(session, actor)}
    if not queries:
        st.caption(tr("sql_console.saved.none"))
        return

    def label(q: SavedQuery) -> str:
        if q.owner_id != actor.user_id:
            return tr("sql_console.saved.theirs", name=q.name)
        mine = "sql_console.saved.mine_shared" if q.shared else "sql_console.saved.mine"
        return tr(mine, name=q.name)

    labels = {query_id: label(q) for query_id, q in queries.items()}

    pick, load, drop = st.columns([4, 1, 1], vertical_alignment="bottom")
    chosen = pick.selectbox(
        tr("sql_console.saved.pick"),
        list(queries),
        format_func=labels.__getitem__,
        key=f"{KEY}_saved",
    )
    load.button(
        tr("sql_console.saved.load"),
        key=f"{KEY}_load",
        on_click=_load,
        args=(queries[chosen].sql,),
    )
    if drop.button(
        tr("sql_console.saved.delete"),
        key=f"{KEY}_delete",
        disabled=queries[chosen].owner_id != actor.user_id,
    ):
        try:
            with session_scope() as session:
                delete_query(session, actor, chosen)
        except Translatable as exc:
            show_query_error(exc)
        else:
            flash("success", tr("sql_console.saved.deleted", name=queries[chosen].name))
            st.rerun()


def _save(actor: Actor, sql: str) -> None:
    with st.form(f"{KEY}_save_form", clear_on_submit=True):
        st.markdown(f"**{tr('sql_console.save')}**")
        name_cell, shared_cell, button_cell = st.columns([4, 2, 1], vertical_alignment="bottom")
        name = name_cell.text_input(tr("sql_console.save.name"), key=f"{KEY}_save_name")
        shared = shared_cell.toggle(tr("sql_console.save.shared"), key=f"{KEY}_save_shared")
        if button_cell.form_submit_button(tr("sql_console.save.button"), key=f"{KEY}_save_button"):
            try:
                with session_scope() as session:
                    save_query(session, actor, name=name, sql=sql, shared=shared)
            except Translatable as exc:
                show_query_error(exc)
            else:
                flash("success", tr("sql_console.save.ok", name=name.strip()))
                st.rerun()


def render() -> None:
    actor = guard(Module.ANALYTICS)
    st.title(tr("page.analytics_sql"))
    st.caption(tr("sql_console.caption"))
    show_flash()
    browser, main = st.columns([1, 2])
    with browser:
        _schema_browser(actor)
    with main:
        st.session_state.setdefault(SQL_KEY, DEFAULT_SQL)
        sql = st.text_area(tr("sql_console.editor"), key=SQL_KEY, height=200)
        rows_cell, time_cell, run_cell = st.columns([2, 2, 1], vertical_alignment="bottom")
        rows = rows_cell.number_input(
            tr("sql_console.row_limit"),
            min_value=sc.ROW_LIMIT[0],
            max_value=sc.ROW_LIMIT[2],
            value=sc.ROW_LIMIT[1],
            step=100,
            key=f"{KEY}_rows",
        )
        seconds = time_cell.number_input(
            tr("sql_console.time_limit"),
            min_value=sc.TIME_LIMIT_S[0],
            max_value=sc.TIME_LIMIT_S[2],
            value=sc.TIME_LIMIT_S[1],
            help=tr("sql_console.time_limit.help", seconds=f"{sc.copy_seconds():g}"),
            key=f"{KEY}_seconds",
        )
        limits = sc.Limits(rows=int(rows), seconds=int(seconds))
        if run_cell.button(tr("sql_console.run"), type="primary", key=f"{KEY}_run"):
            _run(actor, sql, limits)
        if ran := st.session_state.get(RESULT_KEY):
            _result(actor, *ran)
        _save(actor, sql)
        _saved(actor)
