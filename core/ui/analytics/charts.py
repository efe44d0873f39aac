"""One way to draw a frame as a chart, for the SQL console, pinned queries and the chart
builder (the chart type and which column goes on each channel), and one way to put a chart on
a dashboard."""

from __future__ import annotations

from collections.abc import Callable

import plotly.express as px
import plotly.graph_objects as go
import polars as pl
import streamlit as st
from sqlmodel import Session

from core.db import session_scope
from core.i18n import Translatable
from core.ui.analytics.query_error import show_query_error
from core.ui.context import flash, tr

MARGIN = {"l": 10, "r": 10, "t": 30, "b": 10}


def figure(
    frame: pl.DataFrame,
    kind: str,
    x: str,
    y: str,
    colour: str | None = None,
    labels: dict[str, str] | None = None,
    palette: dict[str, str] | None = None,
) -> go.Figure:
    """``kind`` is bar (stacked by colour), line, area, scatter, pie (x names the slices) or
    heatmap (x across, colour down, y the cell value); ``labels`` names the columns and
    ``palette`` fixes the colour of known values (a level's own colour)."""
    data = frame.select(list(dict.fromkeys(c for c in (x, y, colour) if c)))
    names = labels or {}
    if kind == "pie":
        fig = px.pie(data, names=x, values=y, labels=names, color=x, color_discrete_map=palette)
    elif kind == "heatmap":
        fig = px.density_heatmap(data, x=x, y=colour, z=y, histfunc="sum", labels=names)
    else:
        draw = {"bar": px.bar, "line": px.line, "area": px.area, "scatter": px.scatter}[kind]
        fig = draw(data, x=x, y=y, color=colour, labels=names, color_discrete_map=palette)
    if kind in ("line", "area") and data.schema[x] != pl.Date:
        fig.update_xaxes(type="category")  # hours and weekdays are points, not a scale
    fig.update_layout(margin=MARGIN, legend_title_text=names.get(colour or "", colour or ""))
    if colour and kind != "heatmap":  # across the top: a dashboard card is narrow
        fig.update_layout(legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0})
    return fig


def add_to_dashboard(
    key: str,
    heading: str,
    button: str,
    empty: str,
    boards: dict[int, str],
    write: Callable[[Session, int, str], object],
    placeholder: str = "",
) -> None:
    """A form choosing one of the analyst's own dashboards (``boards``) and a chart title;
    on submit ``write(session, dashboard_id, title)`` runs in one transaction (a blank title
    takes ``placeholder``). ``empty`` says what to do when the analyst has no dashboard."""
    with st.form(f"{key}_form", clear_on_submit=True):
        st.markdown(f"**{heading}**")
        if not boards:
            st.caption(empty)
            st.form_submit_button(button, disabled=True)
            return
        board_cell, title_cell, button_cell = st.columns([2, 3, 1], vertical_alignment="bottom")
        board = board_cell.selectbox(
            tr("sql_console.pin.dashboard"),
            list(boards),
            format_func=boards.__getitem__,
            key=f"{key}_board",
        )
        title = title_cell.text_input(
            tr("sql_console.pin.title"), placeholder=placeholder, key=f"{key}_title"
        )
        if not button_cell.form_submit_button(button, key=f"{key}_button"):
            return
    title = title.strip() or placeholder
    try:
        with session_scope() as session:
            write(session, board, title)
    except Translatable as exc:
        show_query_error(exc)
    else:
        flash("success", tr("sql_console.pin.ok", title=title, name=boards[board]))
        st.rerun()
