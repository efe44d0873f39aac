"""The permit statistics page: today's work, the monthly trend, three-month unit totals with
the location check, and the combined search with Excel / PDF export and permit printing."""

from __future__ import annotations

from datetime import date
from typing import Any

import plotly.graph_objects as go
import polars as pl
import streamlit as st
from sqlmodel import Session

from analytics import permit_stats as ps
from analytics.hazard_stats import area_labels
from core.clock import site_today
from core.config import get_settings
from core.crud.lookup import options
from core.db import session_scope
from core.i18n import Translatable
from core.permit import printout as permit_print
from core.rbac import Actor
from core.reporting import permit_search as permit_export
from core.ui.context import lang, show_error, tr
from core.ui.nav import guard
from core.ui.plot import show_chart
from core.ui.widgets import any_of, one_or_all
from models.enums import Action, Module, RiskLevel
from models.permit import PermitState

MARGIN = {"l": 10, "r": 10, "t": 30, "b": 10}
TYPE_COLOURS = {
    "DH": "#d62728", "SX": "#8c564b", "MB": "#7f7f7f", "GC": "#1f77b4",
    "DZ": "#ff7f0e", "LD": "#bcbd22", "DT": "#9467bd", "DL": "#17becf",
}  # fmt: skip
CHECK_COLOURS = {"ok": "#2e9e44", "outside": "#d62728", "unknown": "#b0b7bf"}
WAITING = (PermitState.SUBMITTED, PermitState.APPROVING, PermitState.APPROVED,
           PermitState.GAS_TESTED)  # fmt: skip
SHOWN = ("number", "type", "grade", "state", "unit", "area", "area_level", "location",
         "applicant", "planned_start", "planned_end", "location_check")  # fmt: skip
KEY = "permit_stats"


# --- charts -----------------------------------------------------------------------------------


def _bars(labels: list[str], counts: list[int], colours: list[str] | str) -> go.Figure:
    """Horizontal bars, first label on top, the count at each bar's end."""
    fig = go.Figure(
        go.Bar(
            x=counts,
            y=labels,
            orientation="h",
            marker_color=colours,
            text=counts,
            textposition="outside",
            cliponaxis=False,
        )
    )
    fig.update_layout(
        margin=MARGIN,
        height=max(200, 30 * len(labels) + 60),
        yaxis={"autorange": "reversed", "type": "category"},
        xaxis={"title": tr("permit_stats.count"), "rangemode": "tozero"},
    )
    return fig


def trend_chart(frame: pl.DataFrame) -> go.Figure:
    """Stacked bars: permits per month, one colour per type."""
    fig = go.Figure()
    for code, name in frame.select("code", "type").unique(maintain_order=True).iter_rows():
        part = frame.filter(pl.col("code") == code)
        fig.add_bar(
            x=part["month"].to_list(),
            y=part["count"].to_list(),
            name=name,
            marker_color=TYPE_COLOURS.get(code),
        )
    fig.update_layout(
        barmode="stack",
        margin=MARGIN,
        height=380,
        legend={"orientation": "h", "y": 1.12, "traceorder": "normal"},
        yaxis_title=tr("permit_stats.count"),
        xaxis={"type": "category"},
    )
    return fig


def units_chart(frame: pl.DataFrame) -> go.Figure:
    """Stacked horizontal bars per unit: inside / outside the declared area / unknown."""
    fig = go.Figure()
    for key in ("ok", "outside", "unknown"):
        fig.add_bar(
            x=frame[key].to_list(),
            y=frame["unit"].to_list(),
            orientation="h",
            name=tr(f"permit_stats.check.{key}"),
            marker_color=CHECK_COLOURS[key],
        )
    fig.update_layout(
        barmode="stack",
        margin=MARGIN,
        height=max(220, 26 * frame.height + 80),
        legend={"orientation": "h", "y": 1.08, "traceorder": "normal"},
        yaxis={"autorange": "reversed", "type": "category"},
        xaxis_title=tr("permit_stats.count"),
    )
    return fig


# --- tabs -------------------------------------------------------------------------------------


def _today(session: Session, actor: Actor, today: date, zone: str) -> None:
    states = ps.today_states(session, actor, today, zone)
    by_type = ps.today_by_type(session, actor, today, zone, lang())
    by_unit = ps.today_by_unit(session, actor, today, zone, lang())
    cells = st.columns(5)
    cells[0].metric(tr("permit_stats.today_total"), sum(states.values()))
    cells[1].metric(tr("enum.PermitState.in_progress"), states.get(PermitState.IN_PROGRESS, 0))
    cells[2].metric(tr("enum.PermitState.suspended"), states.get(PermitState.SUSPENDED, 0))
    cells[3].metric(tr("permit_stats.waiting"), sum(states.get(s, 0) for s in WAITING))
    done = states.get(PermitState.COMPLETED, 0) + states.get(PermitState.CLOSED, 0)
    cells[4].metric(tr("permit_stats.finished"), done)
    st.caption(tr("permit_stats.today_rule", day=today.isoformat()))
    left, right = st.columns(2)
    with left:
        st.subheader(tr("permit_stats.by_type"))
        colours = [TYPE_COLOURS.get(c, "#4a78b0") for c in by_type["code"]]
        _bars_or_info(by_type["type"], by_type["count"], colours, "by_type")
    with right:
        st.subheader(tr("permit_stats.by_unit"))
        _bars_or_info(by_unit["unit"], by_unit["count"], "#4a78b0", "by_unit")


def _bars_or_info(labels: pl.Series, counts: pl.Series, colours: Any, key: str) -> None:
    if labels.is_empty():
        st.info(tr("permit_stats.none_today"))
        return
    fig = _bars(labels.to_list(), counts.to_list(), colours)
    show_chart(fig, key=f"{KEY}_{key}")


def _trend(session: Session, actor: Actor, today: date, zone: str) -> None:
    frame = ps.monthly_trend(session, actor, today, zone, lang())
    st.subheader(tr("permit_stats.trend_title", months=ps.TREND_MONTHS))
    if frame.is_empty():
        st.info(tr("permit_stats.empty"))
        return
    show_chart(trend_chart(frame), key=f"{KEY}_trend")
    wide = frame.pivot(on="type", index="month", values="count", aggregate_function="sum")
    wide = wide.with_columns(pl.sum_horizontal(pl.exclude("month")).alias(tr("permit_stats.total")))
    st.dataframe(
        wide.rename({"month": tr("permit_stats.month")}), hide_index=True, key=f"{KEY}_trend_table"
    )


def _units(session: Session, actor: Actor, today: date, zone: str) -> None:
    frame = ps.unit_locations(session, actor, today, zone, lang())
    start = ps.unit_period_start(today)
    st.subheader(tr("permit_stats.units_title"))
    st.caption(tr("permit_stats.units_rule", start=start.isoformat(), end=today.isoformat()))
    if frame.is_empty():
        st.info(tr("permit_stats.empty"))
        return
    totals = frame.select(pl.exclude("unit").sum()).row(0, named=True)
    cells = st.columns(4)
    cells[0].metric(tr("permit_stats.total"), totals["total"])
    for cell, key in zip(cells[1:], ("ok", "outside", "unknown"), strict=True):
        cell.metric(tr(f"permit_stats.check.{key}"), totals[key])
    show_chart(units_chart(frame), key=f"{KEY}_units")
    rate = (pl.col("outside") * 100.0 / pl.col("total")).round(1)
    table = frame.with_columns(rate.alias("rate"))
    st.dataframe(
        table.rename(
            {
                "unit": tr("permit_stats.col.unit"),
                "total": tr("permit_stats.total"),
                "ok": tr("permit_stats.check.ok"),
                "outside": tr("permit_stats.check.outside"),
                "unknown": tr("permit_stats.check.unknown"),
                "rate": tr("permit_stats.outside_rate"),
            }
        ),
        hide_index=True,
        key=f"{KEY}_units_table",
    )


# --- combined search --------------------------------------------------------------------------


def _choice_key(name: str) -> str:
    """Pickers show translated options: a key per language, or a switch of language would
    leave the old language's label on screen."""
    return f"{KEY}_{name}_{lang()}"


def _sorted(choices: dict[int, str]) -> dict[int, str]:
    return dict(sorted(choices.items(), key=lambda kv: kv[1]))


def _filters(session: Session, actor: Actor, zone: str) -> ps.PermitSearch:
    types = {i: name for i, (_code, name) in ps.type_names(session, lang()).items()}
    areas = options(session, "area", actor)
    areas = area_labels(session, set(areas)) if areas else {}
    units = options(session, "department", actor)
    units = ps.unit_labels(session, set(units)) if units else {}
    row = st.columns(4)
    type_id = one_or_all(row[0], tr("permit_stats.col.type"), types, _choice_key("type"))
    number = row[1].text_input(tr("permit_stats.col.number"), key=f"{KEY}_number")
    levels = {lv.value: tr(f"enum.RiskLevel.{lv.value}") for lv in RiskLevel}
    level = one_or_all(row[2], tr("permit_stats.area_level"), levels, _choice_key("level"))
    area = one_or_all(row[3], tr("permit_stats.col.area"), _sorted(areas), _choice_key("area"))
    row = st.columns(4)
    applicant = row[0].text_input(tr("permit_stats.col.applicant"), key=f"{KEY}_applicant")
    unit = one_or_all(row[1], tr("permit_stats.col.unit"), _sorted(units), _choice_key("unit"))
    start_from = row[2].date_input(tr("permit_stats.start_from"), value=None, key=f"{KEY}_from")
    start_to = row[3].date_input(tr("permit_stats.start_to"), value=None, key=f"{KEY}_to")
    labels = {s.value: tr(f"enum.PermitState.{s}") for s in PermitState}
    states = any_of(st, tr("permit_stats.col.state"), labels, _choice_key("states"))
    return ps.PermitSearch(
        type_id=type_id,
        number=number,
        area_level=level,
        area_id=area,
        applicant=applicant,
        department_id=unit,
        start_from=start_from,
        start_to=start_to,
        states=tuple(states),
        zone=zone,
    )


def _page_of(search: ps.PermitSearch) -> int:
    """The page shown; a changed search starts again at page 1."""
    if st.session_state.get(f"{KEY}_last") != search:
        st.session_state[f"{KEY}_last"] = search
        st.session_state[f"{KEY}_page"] = 1
        st.session_state.pop(f"{KEY}_export", None)
    return int(st.session_state.get(f"{KEY}_page", 1))


def _results(frame: pl.DataFrame, total: int, page: int) -> None:
    pages = max(1, -(-total // ps.PAGE_SIZE))
    left, right = st.columns([4, 1])
    left.caption(tr("permit_stats.found", total=total, page=page, pages=pages))
    right.number_input(
        tr("permit_stats.page"), min_value=1, max_value=pages, step=1, key=f"{KEY}_page"
    )
    if frame.is_empty():
        st.info(tr("permit_stats.no_match"))
        return
    st.dataframe(
        {tr(f"permit_stats.col.{k}"): frame[k].to_list() for k in SHOWN},
        hide_index=True,
        height=35 * (frame.height + 1) + 3,  # the whole page of results, no inner scroll
        key=f"{KEY}_results",
    )


def _exports(actor: Actor, search: ps.PermitSearch, total: int) -> None:
    if not actor.can(Module.PERMIT, Action.EXPORT):
        st.caption(tr("permit_stats.no_export"))
        return
    cells = st.columns([1, 1, 3], vertical_alignment="bottom")
    for cell, fmt in zip(cells, ("xlsx", "pdf"), strict=False):
        if cell.button(
            tr(f"permit_stats.export_{fmt}"), key=f"{KEY}_exp_{fmt}", disabled=not total
        ):
            build = permit_export.results_xlsx if fmt == "xlsx" else permit_export.results_pdf
            with session_scope() as session:
                st.session_state[f"{KEY}_export"] = (fmt, build(session, actor, search, lang()))
    if fmt_data := st.session_state.get(f"{KEY}_export"):
        fmt, data = fmt_data
        mime = (
            "application/pdf"
            if fmt == "pdf"
            else ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        )
        cells[2].download_button(
            tr("permit_stats.download", fmt=fmt.upper()),
            data,
            file_name=f"permits.{fmt}",
            mime=mime,
            key=f"{KEY}_exp_dl",
            type="primary",
        )
    if fmt_data and fmt_data[0] == "pdf" and total > permit_export.LIST_PDF_MAX:
        st.caption(tr("permit_stats.pdf_capped", shown=permit_export.LIST_PDF_MAX, total=total))


def _print(actor: Actor, frame: pl.DataFrame) -> None:
    if frame.is_empty() or not actor.can(Module.PERMIT, Action.EXPORT):
        return
    st.subheader(tr("permit_stats.print_title"))
    choices = {
        r["id"]: f"{r['number']} · {r['type']} · {r['location']}"
        for r in frame.iter_rows(named=True)
    }
    left, mid, right = st.columns([3, 1, 1], vertical_alignment="bottom")
    chosen = left.selectbox(
        tr("permit_stats.print_pick"),
        [None, *choices],
        format_func=lambda v: tr("common.none") if v is None else choices[v],
        key=_choice_key("print_id"),
    )
    ready = st.session_state.get(f"{KEY}_printed")
    if mid.button(tr("permit_stats.print"), key=f"{KEY}_print", disabled=chosen is None):
        with session_scope() as session:
            ready = (chosen, permit_print.permit_pdf(session, actor, chosen, lang()))
        st.session_state[f"{KEY}_printed"] = ready
    if ready and ready[0] == chosen:
        right.download_button(
            tr("permit_stats.download", fmt="PDF"),
            ready[1],
            file_name=f"permit-{choices[chosen].split(' · ')[0]}.pdf",
            mime="application/pdf",
            key=f"{KEY}_print_dl",
            type="primary",
        )


def _search(session: Session, actor: Actor, zone: str) -> None:
    search = _filters(session, actor, zone)
    page = _page_of(search)
    frame, total = ps.search(session, actor, search, lang(), page)
    _results(frame, total, page)
    _exports(actor, search, total)
    _print(actor, frame)


def render() -> None:
    actor = guard(Module.PERMIT)
    st.title(tr("page.permit_stats"))
    today, zone = site_today(), get_settings().timezone
    names = ("today", "trend", "units", "search")
    tabs = st.tabs([tr(f"permit_stats.tab.{n}") for n in names])
    try:
        with session_scope() as session:
            with tabs[0]:
                _today(session, actor, today, zone)
            with tabs[1]:
                _trend(session, actor, today, zone)
            with tabs[2]:
                _units(session, actor, today, zone)
            with tabs[3]:
                _search(session, actor, zone)
    except Translatable as exc:
        show_error(exc)
