"""部门培训台账 / Department training register: pick a department, see per person and per
course what is assigned, done and overdue with the coverage, who is late, and download it
as Excel. Layout only: the counts and the workbook come from ``core.training.coverage``."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from sqlmodel import Session

from core.clock import site_today
from core.crud.lookup import departments_of, options
from core.crud.service import NotFound
from core.db import session_scope
from core.rbac import Actor
from core.training.coverage import Counts, Register, department_register, register_workbook
from core.ui.context import lang, show_error, tr
from core.ui.training.archive import metrics, pick

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _label(key: str) -> str:
    return tr(f"training_archive.coverage.{key}")


def render_coverage(session: Session, actor: Actor) -> None:
    left, right = st.columns(2)
    enterprises = options(session, "enterprise", actor)
    if not enterprises:
        st.info(tr("coverage.no_departments"))
        return
    enterprise = pick(left, tr("coverage.enterprise"), enterprises, actor.enterprise_id, "cov_ent")
    departments = departments_of(session, actor, enterprise)
    if not departments:
        st.info(tr("coverage.no_departments"))
        return
    department = pick(
        right, tr("coverage.department"), departments, actor.department_id, "cov_dept"
    )
    today = site_today()
    try:
        reg = department_register(session, actor, department, today)
    except NotFound as exc:
        show_error(exc)
        return
    _summary(reg)
    _download(actor, department, today, reg.department)
    st.subheader(tr("coverage.people"))
    st.dataframe(_frame(reg.people, "post"), hide_index=True, width="stretch")
    st.subheader(tr("coverage.overdue_list", count=len(reg.overdue)))
    if reg.overdue:
        rows = [[o.person, o.course, o.due_on.isoformat(), o.days_late] for o in reg.overdue]
        heads = [_label(k) for k in ("person", "course", "due_on", "days_late")]
        st.dataframe(pd.DataFrame(rows, columns=heads), hide_index=True, width="stretch")
    else:
        st.success(tr("coverage.nobody_overdue"))
    st.subheader(tr("coverage.courses"))
    st.dataframe(_frame(reg.courses, "hours"), hide_index=True, width="stretch")


def _summary(reg: Register) -> None:
    total = reg.total
    metrics(
        [
            (tr("coverage.headcount"), len(reg.people)),
            (_label("due"), total.due),
            (_label("percent"), _percent(total.percent) or "-"),
            (_label("overdue"), total.overdue),
        ]
    )


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:g}%"


def _frame(lines: list[Counts], detail: str) -> pd.DataFrame:
    """The coverage next to the name: on a phone the table scrolls sideways inside itself,
    and the figure people look for stays in view."""
    keys = ("person" if detail == "post" else "course", "percent", detail, "due", "completed")
    rows = [[c.name, _percent(c.percent), c.detail, c.due, c.completed, c.overdue] for c in lines]
    return pd.DataFrame(rows, columns=[*(_label(k) for k in keys), _label("overdue")])


def _download(actor: Actor, department_id: int, today: date, name: str) -> None:
    language = lang()

    def make() -> bytes:
        with session_scope() as session:
            return register_workbook(session, actor, department_id, today, language)

    st.download_button(
        tr("coverage.download"),
        make,
        file_name=f"{tr('page.training_coverage')}-{name}.xlsx",
        mime=XLSX,
        on_click="ignore",
        key="cov_download",
    )
