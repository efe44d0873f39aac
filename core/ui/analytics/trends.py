"""The trends page (趋势分析): a measure per period with its forecast, interval, back-test error
and seasonal note; the hazard heat map, the Heinrich pyramid and the category Pareto.

The forecast is fitted on complete periods only: the period holding the range's last day is
usually still running, so it is forecast (and its partial count shown), not fitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from analytics import forecast as fc
from analytics import trends as tn
from analytics.duck import Connection, locked_connection
from core.clock import site_today
from core.config import get_settings
from core.rbac import Actor
from core.ui.context import lang, tr
from core.ui.nav import guard
from core.ui.plot import show_chart
from models.enums import Module

MARGIN = {"l": 10, "r": 10, "t": 30, "b": 10}
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd")
SHOWN = len(COLOURS)  # split values with their own line and forecast
HORIZON = {"day": 14, "week": 8, "month": 6, "quarter": 4}
KEY = "trends"


# --- periods and their names ------------------------------------------------------------------


def next_period(p: date, grain: tn.Grain) -> date:
    if grain == "day":
        return p + timedelta(days=1)
    if grain == "week":
        return p + timedelta(days=7)
    months = p.year * 12 + p.month - 1 + (1 if grain == "month" else 3)
    return date(months // 12, months % 12 + 1, 1)


def position(p: date, grain: tn.Grain) -> int:
    """Where a period sits in its season (0-based): weekday, ISO week, month or quarter."""
    if grain == "day":
        return p.weekday()
    if grain == "week":
        return min(p.isocalendar().week, 52) - 1
    if grain == "month":
        return p.month - 1
    return (p.month - 1) // 3


def position_name(pos: int, grain: tn.Grain) -> str:
    if grain == "day":
        return tr(f"trends.weekday.{pos}")
    if grain == "month":
        return tr(f"trends.month.{pos + 1}")
    return tr(f"trends.season.{grain}", n=pos + 1)


def when(runs: list[tuple[int, int]], grain: tn.Grain) -> str:
    """``July–August`` / ``7月至8月``, several runs joined."""
    parts = [
        position_name(a, grain)
        if a == b
        else f"{position_name(a, grain)}{tr('trends.dash')}{position_name(b, grain)}"
        for a, b in runs
    ]
    return tr("trends.and").join(parts)


def label_of(p: date, grain: tn.Grain) -> str:
    if grain == "quarter":
        return f"{p.year} Q{(p.month - 1) // 3 + 1}"
    return p.strftime("%Y-%m") if grain == "month" else p.isoformat()


# --- the trend tab ----------------------------------------------------------------------------


def _filters() -> tuple[str, tn.Grain, str | None, int]:
    cells = st.columns([3, 4, 2, 2])
    measure = cells[0].selectbox(
        tr("trends.measure"),
        list(tn.MEASURES),
        format_func=lambda k: tr(tn.MEASURES[k].label),
        key=f"{KEY}_measure",
    )
    grain = cells[1].radio(
        tr("trends.grain"),
        tn.GRAINS,
        index=2,
        format_func=lambda g: tr(f"trends.grain.{g}"),
        horizontal=True,
        key=f"{KEY}_grain",
    )
    split = cells[2].selectbox(
        tr("trends.split"),
        [None, *tn.MEASURES[measure].splits],
        format_func=lambda s: tr(f"trends.split.{s or 'none'}"),
        key=f"{KEY}_split",
    )
    horizon = cells[3].number_input(
        tr("trends.horizon"), 1, 60, HORIZON[grain], key=f"{KEY}_horizon_{grain}"
    )
    return measure, grain, split, int(horizon)


def _range(today: date) -> tuple[date, date]:
    """The period of every tab; three years by default, enough to see a season twice."""
    default = (date(today.year - 3, today.month, 1), today)
    picked = st.date_input(tr("trends.range"), value=default, max_value=today, key=f"{KEY}_range")
    return (picked[0], picked[-1]) if isinstance(picked, tuple) and picked else default


def _band(
    fig: go.Figure, x: list[date], lower: np.ndarray, upper: np.ndarray, colour: str, name: str
) -> None:
    fill = "rgba({},{},{},0.15)".format(*(int(colour[i : i + 2], 16) for i in (1, 3, 5)))
    fig.add_scatter(
        x=x,
        y=upper,
        mode="lines",
        line={"width": 0},
        showlegend=False,
        hoverinfo="skip",
        legendgroup=name,
    )
    fig.add_scatter(
        x=x,
        y=lower,
        mode="lines",
        line={"width": 0},
        fill="tonexty",
        fillcolor=fill,
        name=name,
        legendgroup=name,
    )


@dataclass(frozen=True)
class View:
    """What the trend tab draws: the filters' answers and the measure's shown name."""

    measure: str
    grain: tn.Grain
    end: date
    horizon: int
    split: bool


def _one(
    fig: go.Figure, part: pl.DataFrame, name: str, colour: str, view: View
) -> tuple[str | None, list[str]]:
    """Draw the history, forecast, interval and above-normal markers of one split value;
    return its seasonal-peak sentence (if any) and its other notes."""
    grain, end, horizon = view.grain, view.end, view.horizon
    dates, counts = part["period"].to_list(), part["count"].to_numpy().astype(float)
    complete = np.array([next_period(p, grain) - timedelta(days=1) <= end for p in dates])
    history = counts[complete]
    season = fc.SEASON_OF_GRAIN[grain]
    ahead = [dates[len(history)] if len(history) < len(dates) else next_period(dates[-1], grain)]
    while len(ahead) < horizon:
        ahead.append(next_period(ahead[-1], grain))
    done = len(history)
    fig.add_scatter(
        x=dates[:done], y=counts[:done], mode="lines+markers", name=name, line={"color": colour}
    )
    if done < len(dates):  # the running period: its count so far, not a drop
        fig.add_scatter(
            x=dates[done:],
            y=counts[done:],
            mode="markers",
            name=tr("trends.so_far", name=name),
            marker={"color": colour, "symbol": "circle-open", "size": 10},
        )
    if len(history) < 2:
        return None, [tr("trends.backtest_short", name=name)]
    f = fc.forecast(history, season, horizon)
    _band(fig, ahead, f.lower, f.upper, colour, tr("trends.interval", name=name, level=90))
    fig.add_scatter(
        x=ahead,
        y=f.point,
        mode="lines",
        line={"color": colour, "dash": "dash"},
        name=tr("trends.forecast", name=name),
    )
    notes = []
    high = fc.above_normal(history, f)
    if high.any():
        picked = [d for d, h in zip(ahead, high, strict=True) if h]
        fig.add_scatter(
            x=picked,
            y=f.point[high],
            mode="markers",
            name=tr("trends.above"),
            marker={"symbol": "triangle-up", "size": 12, "color": "#d62728"},
            showlegend=False,
        )
        shown = tr("trends.and").join(label_of(d, grain) for d in picked)
        notes.append(tr("trends.above_note", periods=shown, where=name))
    bt = fc.backtest(history, f.season, min(horizon, max(len(history) // 4, 1)))
    notes.append(_backtest_text(bt, name))
    if f.season == 1:
        notes.append(tr("trends.no_season", season=season))
    positions = [position(p, grain) for p, c in zip(dates, complete, strict=True) if c]
    peaks = fc.seasonal_peaks(positions, history, season)
    if not peaks:
        return None, notes
    key = "trends.peak" if view.split else "trends.peak_all"
    return tr(key, measure=view.measure, when=when(peaks, grain), where=name), notes


def _backtest_text(bt: fc.Backtest, name: str) -> str:
    if bt.folds == 0:
        return tr("trends.backtest_short", name=name)

    def num(v: float | None, pct: bool = False) -> str:
        return "—" if v is None else (f"{v:.1f}%" if pct else f"{v:.2f}")

    return tr(
        "trends.backtest",
        name=name,
        folds=bt.folds,
        points=bt.points,
        mae=num(bt.mae),
        mape=num(bt.mape, True),
        naive_mae=num(bt.naive_mae),
        naive_mape=num(bt.naive_mape, True),
        coverage=num(None if bt.coverage is None else bt.coverage * 100, True),
    )


def _trend(con: Connection, actor: Actor, start: date, end: date, zone: str) -> None:
    measure, grain, split, horizon = _filters()
    frame = tn.series(con, actor, measure, grain, start, end, split, zone=zone, lang=lang())
    if frame.is_empty() or frame["count"].sum() == 0:
        st.info(tr("trends.empty"))
        return
    names = frame["split"].unique(maintain_order=True).to_list()
    view = View(tr(tn.MEASURES[measure].label), grain, end, horizon, split is not None)
    fig, peaks, notes = go.Figure(), [], []
    for name, colour in zip(names[:SHOWN], COLOURS, strict=False):
        part = frame.filter(pl.col("split") == name)
        peak, more = _one(fig, part, name, colour, view)
        peaks += [peak] if peak else []
        notes += more
    fig.update_layout(
        margin=MARGIN,
        height=460,
        hovermode="x unified",
        yaxis={"title": tr("trends.count"), "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.15},
    )
    show_chart(fig, key=f"{KEY}_chart")
    for peak in peaks or [tr("trends.peak_none")]:
        st.markdown(f"**{peak}**")
    for note in notes:
        st.caption(note)
    st.caption(tr("trends.method", season=fc.SEASON_OF_GRAIN[grain], level=90))
    if len(names) > SHOWN:
        st.caption(tr("trends.top_note", n=SHOWN))


# --- the other tabs ---------------------------------------------------------------------------


def _heatmap(frame: pl.DataFrame) -> None:
    if frame.is_empty():
        st.info(tr("trends.empty"))
        return
    st.caption(tr("trends.heatmap_note"))
    days = [tr(f"trends.weekday.{d}") for d in range(7)]
    by_area = frame.group_by("area", "weekday").agg(pl.col("count").sum())
    areas = (by_area.group_by("area").agg(pl.col("count").sum()).sort("count", descending=True))[
        "area"
    ].to_list()[:20]
    grid = np.zeros((len(areas), 7), dtype=int)
    for area, day, n in by_area.iter_rows():
        if area in areas:
            grid[areas.index(area), day] = n
    fig = go.Figure(go.Heatmap(z=grid, x=days, y=areas, colorscale="Reds", hoverongaps=False))
    fig.update_layout(
        margin=MARGIN,
        height=max(240, 28 * len(areas) + 80),
        yaxis={"autorange": "reversed", "title": tr("trends.area")},
    )
    show_chart(fig, key=f"{KEY}_heat_area")
    everywhere = tr("trends.heatmap_all")
    area = st.selectbox(tr("trends.heatmap_area"), [everywhere, *areas], key=f"{KEY}_heat_pick")
    part = frame if area == everywhere else frame.filter(pl.col("area") == area)
    hours = np.zeros((7, 24), dtype=int)
    for _, day, hour, n in part.iter_rows():
        hours[day, hour] += n
    fig = go.Figure(go.Heatmap(z=hours, x=list(range(24)), y=days, colorscale="Reds"))
    fig.update_layout(
        margin=MARGIN,
        height=320,
        xaxis={"title": tr("trends.hour"), "dtick": 2},
        yaxis={"autorange": "reversed"},
    )
    show_chart(fig, key=f"{KEY}_heat_hour")


def _heinrich(frame: pl.DataFrame) -> None:
    tiers = [tr(f"trends.tier.{k}") for k in frame["tier"]]
    counts = frame["count"].to_list()
    fig = go.Figure(
        go.Funnel(
            y=tiers,
            x=counts,
            textinfo="value",
            marker={"color": ["#7f0000", "#d62728", "#ff7f0e", "#fdd49e"]},
        )
    )
    fig.update_layout(margin=MARGIN, height=360)
    show_chart(fig, key=f"{KEY}_heinrich")
    st.caption(tr("trends.heinrich_note", ratio=" : ".join(str(c) for c in counts)))


def _pareto(frame: pl.DataFrame) -> None:
    if frame.is_empty():
        st.info(tr("trends.empty"))
        return
    fig = go.Figure()
    fig.add_bar(x=frame["category"].to_list(), y=frame["count"].to_list(), name=tr("trends.count"))
    fig.add_scatter(
        x=frame["category"].to_list(),
        y=frame["cumulative"].to_list(),
        mode="lines+markers",
        yaxis="y2",
        name=tr("trends.cumulative"),
    )
    fig.update_layout(
        margin=MARGIN,
        height=420,
        legend={"orientation": "h", "y": -0.2},
        yaxis={"title": tr("trends.count")},
        yaxis2={
            "title": tr("trends.cumulative"),
            "overlaying": "y",
            "side": "right",
            "range": [0, 105],
        },
    )
    show_chart(fig, key=f"{KEY}_pareto")
    top = frame.filter(pl.col("cumulative").shift(1, fill_value=0) < 80)
    st.caption(tr("trends.pareto_note", n=top.height, share=top["cumulative"][-1]))


def render() -> None:
    actor = guard(Module.ANALYTICS)
    st.title(tr("page.analytics_trends"))
    today, zone = site_today(), get_settings().timezone
    with locked_connection(get_settings().db_url) as con:
        start, end = _range(today)
        names = ("trend", "heatmap", "heinrich", "pareto")
        tabs = st.tabs([tr(f"trends.tab.{n}") for n in names])
        with tabs[0]:
            _trend(con, actor, start, end, zone)
        with tabs[1]:
            _heatmap(tn.heatmap(con, actor, start, end, zone=zone, lang=lang()))
        with tabs[2]:
            _heinrich(tn.heinrich(con, actor, start, end, zone=zone))
        with tabs[3]:
            _pareto(tn.pareto(con, actor, start, end, zone=zone, lang=lang()))
