"""Pick a spot on the floor plan by tapping it: the enterprise's areas drawn with Plotly, and a
faint 1 m grid of tappable points over the chosen area (Plotly reports clicks on points only,
so the grid is what makes empty floor clickable). No coordinates typed by hand."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from core.geometry import box, clean_polygon, inside, label_point

STEP_M = 1.0
MAX_POINTS = 6000  # a very large area gets a coarser grid


def _grid(polygon: list[list[float]]) -> tuple[list[float], list[float]]:
    x0, y0, w, h = box(polygon, 0.0)
    step = max(STEP_M, ((w * h) / MAX_POINTS) ** 0.5)
    xs, ys = [], []
    n_x, n_y = int(w / step) + 1, int(h / step) + 1
    for i in range(n_x):
        for j in range(n_y):
            x, y = round(x0 + i * step, 1), round(y0 + j * step, 1)
            if inside(polygon, x, y):
                xs.append(x)
                ys.append(y)
    return xs, ys


def _outline(polygon: list[list[float]]) -> tuple[list[float], list[float]]:
    closed = [*polygon, polygon[0]]
    return [p[0] for p in closed], [p[1] for p in closed]


def figure(
    areas: Sequence[tuple[int, str, Any]],
    chosen_area: int | None,
    point: tuple[float, float] | None,
) -> go.Figure:
    """Areas as outlines (the chosen one filled), its tap grid, and the chosen point."""
    fig = go.Figure()
    for area_id, name, raw in areas:
        polygon = clean_polygon(raw)
        if len(polygon) < 3:
            continue
        xs, ys = _outline(polygon)
        mine = area_id == chosen_area
        fig.add_scatter(
            x=xs,
            y=ys,
            mode="lines",
            fill="toself",
            fillcolor="rgba(31,119,180,0.12)" if mine else "rgba(200,200,200,0.15)",
            line={"color": "#1f77b4" if mine else "#9aa4b1", "width": 2 if mine else 1},
            hoverinfo="skip",
            showlegend=False,
        )
        lx, ly = label_point(polygon)
        fig.add_annotation(x=lx, y=ly, text=name, showarrow=False, font={"size": 11})
        if mine:
            gx, gy = _grid(polygon)
            fig.add_scatter(
                x=gx,
                y=gy,
                mode="markers",
                marker={"size": 7, "color": "rgba(31,119,180,0.08)"},
                hovertemplate="x %{x} m, y %{y} m<extra></extra>",
                showlegend=False,
            )
    if point is not None:
        fig.add_scatter(
            x=[point[0]],
            y=[point[1]],
            mode="markers",
            marker={"size": 16, "color": "#d62728", "symbol": "star"},
            hoverinfo="skip",
            showlegend=False,
        )
    fig.update_layout(
        height=320,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        plot_bgcolor="#f4f4f2",
        clickmode="event+select",
        dragmode=False,
    )
    return fig


def pick_point(
    key: str,
    areas: Sequence[tuple[int, str, Any]],
    chosen_area: int | None,
    default: tuple[float, float] | None,
) -> tuple[float, float] | None:
    """Show the plan; returns the tapped point, else ``default`` (the area's centre)."""
    state_key = f"{key}_point"
    remembered = st.session_state.get(state_key)
    if remembered is not None and remembered[0] != chosen_area:
        remembered = None  # another area was chosen: its centre again until tapped
    point = remembered[1] if remembered else default
    event = st.plotly_chart(
        figure(areas, chosen_area, point),
        on_select="rerun",
        selection_mode=("points",),
        key=f"{key}_chart",
        config={"displayModeBar": False},
    )
    picked = (event or {}).get("selection", {}).get("points", []) if event else []
    if picked:
        tapped = (float(picked[0]["x"]), float(picked[0]["y"]))
        if tapped != point:
            st.session_state[state_key] = (chosen_area, tapped)
            st.rerun()
    return point
