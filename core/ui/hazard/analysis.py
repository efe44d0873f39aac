"""The hazard analysis page: filters, headline rates, charts, the overdue and repeat lists."""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st
from sqlmodel import Session

from analytics import hazard_stats as hs
from core.clock import site_today
from core.config import get_settings
from core.crud.lookup import departments_of, options
from core.db import session_scope
from core.rbac import Actor
from core.ui.context import lang, tr
from core.ui.hazard import charts as hazard_charts
from core.ui.nav import guard
from core.ui.plot import show_chart
from core.ui.widgets import one_or_all
from models.enums import Module


def _query(session: Session, actor: Actor, today: date) -> tuple[hs.HazardQuery, str]:
    """The filter row; an enterprise picker only for users who reach several."""
    enterprises = options(session, "enterprise", actor)
    many = len(enterprises) > 1
    cells = iter(st.columns([3, 3, 3, 2] if many else [3, 3, 2]))
    period = next(cells).date_input(
        tr("hazard_stats.period"),
        value=(hs.default_start(today), today),
        max_value=today,
        key="hazard_stats_period",
    )
    start, end = (period[0], period[-1]) if isinstance(period, tuple) and period else (today, today)
    enterprise_id = next(iter(enterprises), None)
    if many:
        enterprise_id = one_or_all(
            next(cells), tr("hazard_stats.enterprise"), enterprises, "hazard_stats_enterprise"
        )
    department_id, department_cell = None, next(cells)
    if enterprise_id is not None:
        departments = departments_of(session, actor, enterprise_id)
        department_id = one_or_all(
            department_cell, tr("hazard_stats.department"), departments, "hazard_stats_department"
        )
    grain = next(cells).radio(
        tr("hazard_stats.grain"),
        ["month", "week"],
        format_func=lambda g: tr(f"hazard_stats.grain.{g}"),
        horizontal=True,
        key="hazard_stats_grain",
    )
    q = hs.HazardQuery(start, end, enterprise_id, department_id, get_settings().timezone)
    return q, grain


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _kpis(rates: hs.Rates, overdue_total: int) -> None:
    cells = st.columns(6)
    cells[0].metric(tr("hazard_stats.found"), rates.found)
    cells[1].metric(tr("hazard_stats.closure_rate"), _pct(rates.closure_rate))
    cells[2].metric(tr("hazard_stats.on_time_rate"), _pct(rates.on_time_rate))
    days = "—" if rates.avg_days is None else tr("hazard_stats.days", days=rates.avg_days)
    cells[3].metric(tr("hazard_stats.avg_days"), days)
    cells[4].metric(tr("hazard_stats.overdue_now"), overdue_total)
    cells[5].metric(tr("hazard_stats.repeat_rate"), _pct(rates.repeat_rate))
    st.caption(
        tr(
            "hazard_stats.definitions",
            counted=rates.counted,
            closed=rates.closed,
            on_time=rates.on_time,
            with_deadline=rates.with_deadline,
        )
    )


def _overdue_table(frame: pl.DataFrame, total: int) -> None:
    st.subheader(f"{tr('hazard_stats.overdue_list')} ({total})")
    if frame.is_empty():
        st.success(tr("hazard_stats.no_overdue"))
        return
    st.dataframe(
        {
            tr("field.hazard.number"): frame["number"].to_list(),
            tr("field.hazard.title"): frame["title"].to_list(),
            tr("field.hazard.level"): [tr(f"enum.HazardLevel.{v}") for v in frame["level"]],
            tr("field.hazard.state"): [tr(f"enum.HazardState.{v}") for v in frame["state"]],
            tr("field.hazard.area_id"): frame["area"].to_list(),
            tr("hazard_stats.department"): frame["department"].to_list(),
            tr("field.hazard.deadline"): frame["deadline"].to_list(),
            tr("hazard_stats.days_overdue"): frame["days_overdue"].to_list(),
        },
        hide_index=True,
    )
    if frame.height < total:
        st.caption(tr("hazard_stats.overdue_capped", shown=frame.height, total=total))


def _repeats_table(frame: pl.DataFrame, rates: hs.Rates) -> None:
    st.subheader(f"{tr('hazard_stats.repeats')} ({rates.repeats})")
    st.caption(tr("hazard_stats.repeat_rule"))
    if frame.is_empty():
        st.info(tr("hazard_stats.no_repeats"))
        return
    st.dataframe(
        {
            tr("field.hazard.number"): frame["number"].to_list(),
            tr("field.hazard.title"): frame["title"].to_list(),
            tr("field.hazard.area_id"): frame["area"].to_list(),
            tr("hazard_stats.repeat_count"): frame["repeats"].to_list(),
        },
        hide_index=True,
    )


def render() -> None:
    actor = guard(Module.HAZARD)
    st.title(tr("page.hazard_analysis"))
    today = site_today()
    with session_scope() as session:
        q, grain = _query(session, actor, today)
        rates = hs.rates(session, actor, q)
        trend = hs.trend(session, actor, q, grain)
        pareto = hs.pareto(session, actor, q, lang())
        heat = hs.area_heatmap(session, actor, q, lang())
        overdue, overdue_total = hs.overdue(session, actor, q, today)
        repeats = hs.repeats(session, actor, q)
    _kpis(rates, overdue_total)
    left, right = st.columns(2)
    with left:
        st.subheader(tr(f"hazard_stats.trend.{grain}"))
        show_chart(hazard_charts.trend(trend, grain, lang()))
    with right:
        st.subheader(tr("hazard_stats.pareto"))
        if pareto.is_empty():
            st.info(tr("hazard_stats.empty"))
        else:
            show_chart(hazard_charts.pareto(pareto, lang()))
    st.subheader(tr("hazard_stats.heatmap"))
    if heat.is_empty():
        st.info(tr("hazard_stats.empty"))
    else:
        show_chart(hazard_charts.heatmap(heat, lang()))
    _overdue_table(overdue, overdue_total)
    _repeats_table(repeats, rates)
