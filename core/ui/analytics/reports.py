"""统计报表: pick a report, its period and (park users) the enterprise, build it as Excel or PDF
and download it. Only widgets here; figures and documents come from ``core.reporting.reports``."""

from __future__ import annotations

from datetime import date
from time import perf_counter
from typing import Any

import streamlit as st

from analytics import reports as ar
from analytics.duck import locked_connection
from analytics.kpi import Period
from core.clock import site_today
from core.config import get_settings
from core.crud.lookup import options
from core.db import session_scope
from core.i18n import t
from core.rbac import Actor
from core.reporting import reports as cr
from core.ui.context import lang, tr
from core.ui.widgets import one_or_all

KEY = "rep"
MONTHS_BACK = 24
YEARS_BACK = 10


def _months(today: date) -> list[tuple[int, int]]:
    first = today.year * 12 + today.month - 1
    return [divmod(first - i, 12) for i in range(MONTHS_BACK)]


def _period(cell: Any, kind: str, today: date) -> Period:
    # Pickers format options in this run's language: AppTest formats a widget's value again
    # outside the run, where ``tr`` would fall back to the default language.
    lg = lang()
    if kind == "dual_prevention":
        picked = cell.selectbox(
            tr("reports.month"),
            _months(today),
            format_func=lambda ym: t("reports.period_month", lg, year=ym[0], month=ym[1] + 1),
            key=f"{KEY}_month",
        )
        return ar.month_period(picked[0], picked[1] + 1)
    if kind == "accidents":
        years = [today.year - i for i in range(YEARS_BACK)]
        year = cell.selectbox(tr("reports.year"), years, key=f"{KEY}_year")
        return ar.year_period(year)
    default = (date(today.year, 1, 1), today)
    picked = cell.date_input(tr("reports.range"), value=default, key=f"{KEY}_range")
    start, end = (picked[0], picked[-1]) if isinstance(picked, tuple) and picked else default
    return Period(start, end)


def _enterprise(cell: Any, actor: Actor) -> int | None:
    """A picker only for users who reach several enterprises; None is all of them."""
    with session_scope() as session:
        enterprises = options(session, "enterprise", actor)
    if len(enterprises) <= 1:
        return None
    return one_or_all(cell, tr("reports.enterprise_pick"), enterprises, f"{KEY}_enterprise")


def _build(actor: Actor, req: cr.Request, fmt: cr.Format) -> None:
    settings = get_settings()
    started = perf_counter()
    with locked_connection(settings.db_url) as con, session_scope() as session:
        report, data = cr.export(
            session, con, actor, req, fmt, lang(), today=site_today(), zone=settings.timezone
        )
    seconds = perf_counter() - started
    st.session_state[f"{KEY}_{fmt}"] = (req, report.file_name(fmt), data, seconds, report.rows)


def render(actor: Actor) -> None:
    st.title(tr("page.analytics_reports"))
    st.caption(tr("reports.intro"))
    kind = st.radio(
        tr("reports.kind"),
        cr.REPORTS,
        format_func={k: tr(f"reports.title.{k}") for k in cr.REPORTS}.__getitem__,
        horizontal=True,
        key=f"{KEY}_kind",
    )
    st.caption(tr(f"reports.desc.{kind}"))
    c1, c2 = st.columns(2)
    req = cr.Request(kind, _period(c1, kind, site_today()), _enterprise(c2, actor))
    for fmt, cell in zip(("xlsx", "pdf"), st.columns(2), strict=True):
        if cell.button(tr(f"reports.build_{fmt}"), type="primary", key=f"{KEY}_build_{fmt}"):
            with st.spinner(tr(f"reports.build_{fmt}")):
                _build(actor, req, fmt)  # type: ignore[arg-type]
        ready = st.session_state.get(f"{KEY}_{fmt}")
        if ready and ready[0] == req:
            _, name, data, seconds, rows = ready
            cell.download_button(
                f"{tr('common.download')} · {name}",
                data,
                file_name=name,
                mime=cr.MIME[fmt],
                key=f"{KEY}_download_{fmt}",
            )
            cell.caption(tr("reports.generated_in", rows=rows, seconds=f"{seconds:.2f}"))
