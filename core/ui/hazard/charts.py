"""Plotly figures of the hazard analysis page (Streamlit ships plotly.js: nothing is fetched)."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from core.i18n import t

GENERAL, MAJOR, BAR, LINE = "#1f5fa8", "#d62728", "#4a78b0", "#d95f02"
PARETO_LINE = 80.0  # the vital few: categories up to 80 % of the hazards
MARGIN = {"l": 10, "r": 10, "t": 30, "b": 10}


def trend(frame: pl.DataFrame, grain: str, lang: str) -> go.Figure:
    """Stacked bars: general and major hazards found per week or month."""
    fmt = "%Y-%m" if grain == "month" else "%m-%d"
    x = [d.strftime(fmt) for d in frame["bucket"].to_list()]
    fig = go.Figure()
    for level, colour in (("general", GENERAL), ("major", MAJOR)):
        fig.add_bar(
            x=x,
            y=frame[level].to_list(),
            name=t(f"enum.HazardLevel.{level}", lang),
            marker_color=colour,
        )
    fig.update_layout(
        barmode="stack",
        margin=MARGIN,
        height=320,
        legend={"orientation": "h", "y": 1.12},
        yaxis_title=t("hazard_stats.count", lang),
        xaxis={"type": "category"},
    )
    return fig


def pareto(frame: pl.DataFrame, lang: str) -> go.Figure:
    """Bars per category, largest first, and the cumulative share on a 0–100 % axis."""
    fig = go.Figure()
    fig.add_bar(
        x=frame["category"].to_list(),
        y=frame["count"].to_list(),
        name=t("hazard_stats.count", lang),
        marker_color=BAR,
    )
    fig.add_scatter(
        x=frame["category"].to_list(),
        y=frame["cumulative"].to_list(),
        name=t("hazard_stats.cumulative", lang),
        yaxis="y2",
        mode="lines+markers",
        line={"color": LINE, "width": 2},
    )
    fig.add_hline(y=PARETO_LINE, yref="y2", line_dash="dot", line_color="#888")
    fig.update_layout(
        margin=MARGIN,
        height=340,
        legend={"orientation": "h", "y": 1.12},
        yaxis={"title": t("hazard_stats.count", lang)},
        yaxis2={
            "title": t("hazard_stats.cumulative", lang),
            "overlaying": "y",
            "side": "right",
            "range": [0, 105],
            "tickvals": [0, 20, 40, 60, 80, 100],
            "ticktext": ["0%", "20%", "40%", "60%", "80%", "100%"],
            "showgrid": False,
        },
    )
    return fig


def heatmap(frame: pl.DataFrame, lang: str, rows: int = 15) -> go.Figure:
    """Areas (busiest ``rows`` first) × months, hazards found."""
    areas = list(dict.fromkeys(frame["area"].to_list()))[:rows]
    months = sorted(set(frame["month"].to_list()))
    counts = {(a, m): c for a, m, c in frame.select("area", "month", "count").iter_rows()}
    z = [[counts.get((a, m), 0) for m in months] for a in areas]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=months,
            y=areas,
            colorscale="YlOrRd",
            colorbar={"title": t("hazard_stats.count", lang)},
            hovertemplate="%{y} · %{x}: %{z}<extra></extra>",
        )
    )
    fig.update_layout(
        margin=MARGIN,
        height=max(180, 34 * len(areas) + 90),
        yaxis={"autorange": "reversed"},
        xaxis={"type": "category"},
    )
    return fig
