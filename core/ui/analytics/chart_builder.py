"""The chart builder (charts without SQL): pick a dataset, a measure, dimensions, filters, a
time window and a chart type, see the chart, save it to a dashboard. ``show_spec`` also draws
the builder charts saved on dashboards."""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from analytics import datasets as dm
from analytics.duck import Connection
from core.clock import site_today
from core.config import get_settings
from core.db import session_scope
from core.i18n import Translatable
from core.rbac import Actor
from core.reporting.dashboards import add_chart, update_chart
from core.ui.analytics.charts import add_to_dashboard, figure
from core.ui.analytics.query_error import show_query_error
from core.ui.context import flash, lang, tr
from core.ui.plot import show_chart
from models.hazard import HazardLevel

KEY = "chart_builder"
EDITING = f"{KEY}_editing"  # (chart id, title) of the dashboard chart being edited
LEVEL_COLOURS = {HazardLevel.MAJOR: "#d62728", HazardLevel.GENERAL: "#1f77b4"}


def measure_label(dataset: str, measure: str) -> str:
    """``count`` → 数量; a rate → its name; ``sum:cost`` → 整改费用合计."""
    if measure == "count":
        return tr("chart.count")
    agg, number = measure.split(":")
    name = tr(f"chart.number.{number}")
    return name if dm.DATASETS[dataset].numbers[number].rate else tr(f"chart.agg.{agg}", field=name)


def default_title(spec: dm.ChartSpec) -> str:
    parts = [tr(f"dataset.{spec.dataset}"), measure_label(spec.dataset, spec.measure)]
    if spec.kind != "number":
        parts.append(tr("chart.by", dim=tr(f"chart.dim.{spec.x}")))
    return " · ".join(parts)


def describe(spec: dm.ChartSpec) -> str:
    """One line under a saved chart: dataset, window, filters."""
    text = f"{tr(f'dataset.{spec.dataset}')} · {tr(f'chart.window.{spec.window}')}"
    if spec.filters:
        dims = "、".join(tr(f"chart.dim.{d}") for d, _ in spec.filters)
        text += " · " + tr("chart.filtered", dims=dims)
    return text


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def show_spec(con: Connection, actor: Actor, spec: dm.ChartSpec, key: str, today: date) -> None:
    """Compute and draw ``spec`` under the actor's scope (a refusal is shown, not raised)."""
    try:
        data = dm.chart_data(
            con, actor, spec, today=today, zone=get_settings().timezone, lang=lang()
        )
    except Translatable as exc:
        show_query_error(exc)
        return
    value = measure_label(spec.dataset, spec.measure)
    frame = data.frame
    if spec.kind == "number":
        st.metric(value, _number(frame["value"][0]))
        return
    if frame.is_empty():
        st.info(tr("chart.no_data"))
        return
    names = {"x": tr(f"chart.dim.{spec.x}"), "value": value}
    if spec.colour:
        names["colour"] = tr(f"chart.dim.{spec.colour}")
    if spec.kind == "table":
        shown = frame.with_columns(pl.col("value").round(2)).rename(names)
        st.dataframe(shown, hide_index=True, width="stretch", key=key)
    else:
        fig = figure(frame, spec.kind, "x", "value", spec.colour and "colour", names, _palette())
        show_chart(fig, key=key)
    if data.truncated:
        st.caption(tr("chart.truncated", n=dm.MAX_X, colours=dm.MAX_COLOURS))


def _palette() -> dict[str, str]:
    """Levels keep the colours they have everywhere else (major hazards red)."""
    return {tr(f"enum.HazardLevel.{level.value}"): c for level, c in LEVEL_COLOURS.items()}


def _choices(keys: tuple[str, ...] | list[str], prefix: str) -> dict[str, str]:
    return {k: tr(f"{prefix}.{k}") for k in keys}


def _select(cell: DeltaGenerator, label: str, options: dict, key: str, index: int = 0) -> str:
    """A select box; ``index`` only when no value was put in its key (a chart being edited)."""
    start = {} if key in st.session_state else {"index": index}
    return cell.selectbox(label, list(options), format_func=options.__getitem__, key=key, **start)


def load_spec(spec: dm.ChartSpec, chart_id: int, title: str) -> None:
    """Put a saved chart's settings into the builder's widgets, to edit it (call before the
    widgets are drawn)."""
    ds = spec.dataset
    picked = dict(spec.filters)
    st.session_state.update(
        {
            f"{KEY}_dataset": ds,
            f"{KEY}_measure_{ds}": spec.measure,
            f"{KEY}_kind": spec.kind,
            f"{KEY}_x_{ds}": spec.x,
            f"{KEY}_colour_{ds}": spec.colour or "",
            f"{KEY}_grain": spec.grain,
            f"{KEY}_window": spec.window,
            **{
                f"{KEY}_f_{ds}_{dim}": list(picked.get(dim, ()))
                for dim in dm.DATASETS[ds].dimensions
            },
            EDITING: (chart_id, title),
        }
    )


def build_spec(con: Connection, actor: Actor) -> dm.ChartSpec | None:
    """The builder's controls; ``None`` when the actor may view no dataset."""
    available = dm.available(actor)
    if not available:
        st.info(tr("chart.no_dataset"))
        return None
    top = st.columns(3)
    dataset = _select(top[0], tr("chart.dataset"), _choices(available, "dataset"), f"{KEY}_dataset")
    ds = dm.DATASETS[dataset]
    measures = {m: measure_label(dataset, m) for m in ds.measures}
    measure = _select(top[1], tr("chart.measure"), measures, f"{KEY}_measure_{dataset}")
    kind = _select(top[2], tr("chart.kind"), _choices(dm.KINDS, "chart.kind"), f"{KEY}_kind")
    row = st.columns(4)
    dims = _choices(ds.all_dimensions, "chart.dim")
    x, colour, grain = dm.PERIOD, None, "month"
    if kind != "number":
        x = _select(row[0], tr("chart.x"), dims, f"{KEY}_x_{dataset}")
    if kind not in ("number", "pie"):
        others = {"": tr("chart.none")} | {k: v for k, v in dims.items() if k != x}
        start = 1 if kind == "heatmap" else 0
        colour = _select(row[1], tr("chart.colour"), others, f"{KEY}_colour_{dataset}", start)
        colour = colour or None
    if dm.PERIOD in (x, colour):
        grains = _choices(dm.GRAINS, "trends.grain")
        month = dm.GRAINS.index("month")
        grain = _select(row[2], tr("trends.grain"), grains, f"{KEY}_grain", month)
    window = _select(
        row[3], tr("chart.window"), _choices(dm.WINDOWS, "chart.window"), f"{KEY}_window", 2
    )
    filters = []
    with st.expander(tr("chart.filters")):
        cells = st.columns(3)
        for i, dim in enumerate(ds.dimensions):
            values = dict(dm.dimension_values(con, actor, dataset, dim, lang()))
            chosen = cells[i % 3].multiselect(
                tr(f"chart.dim.{dim}"),
                list(values),
                format_func=values.__getitem__,
                key=f"{KEY}_f_{dataset}_{dim}",
                placeholder=tr("chart.filter_all"),
            )
            if chosen:
                filters.append((dim, tuple(chosen)))
    return dm.ChartSpec(dataset, measure, x, colour, grain, window, tuple(filters), kind)  # type: ignore[arg-type]


def _save(actor: Actor, spec: dm.ChartSpec, boards: dict[int, str]) -> None:
    add_to_dashboard(
        f"{KEY}_save",
        tr("chart.save"),
        tr("chart.save.button"),
        tr("chart.save.no_dashboard"),
        boards,
        lambda session, board, title: add_chart(session, actor, board, title, spec),
        placeholder=default_title(spec),
    )


def _update(actor: Actor, spec: dm.ChartSpec, chart_id: int, title: str) -> bool:
    """The edit form of a dashboard chart; ``True`` once it is saved or the edit cancelled."""
    with st.form(f"{KEY}_update_form"):
        st.markdown(f"**{tr('chart.editing', title=title)}**")
        title_cell, save_cell, cancel_cell = st.columns([4, 1, 1], vertical_alignment="bottom")
        new_title = title_cell.text_input(
            tr("sql_console.pin.title"), value=title, key=f"{KEY}_update_title"
        )
        if cancel_cell.form_submit_button(tr("chart.update.cancel"), key=f"{KEY}_cancel"):
            return True
        if not save_cell.form_submit_button(tr("chart.update.button"), key=f"{KEY}_update"):
            return False
    try:
        with session_scope() as session:
            update_chart(session, actor, chart_id, new_title, spec)
    except Translatable as exc:
        show_query_error(exc)
        return False
    flash("success", tr("chart.updated", title=new_title.strip()))
    return True


def render_builder(con: Connection, actor: Actor, boards: dict[int, str]) -> bool:
    """The builder, its preview and the save form (``boards``: the actor's own dashboards);
    ``True`` when an edited chart was saved or its edit cancelled (back to the dashboard)."""
    spec = build_spec(con, actor)
    if spec is None:
        return False
    with st.container(border=True):
        st.markdown(f"**{default_title(spec)}**")
        show_spec(con, actor, spec, f"{KEY}_preview", site_today())
        st.caption(describe(spec))
    if EDITING in st.session_state:
        done = _update(actor, spec, *st.session_state[EDITING])
        if done:
            del st.session_state[EDITING]
        return done
    _save(actor, spec, boards)
    return False
