"""Risk points (风险点) with their LEC / LS scores, dynamic level and identification record."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlmodel import Session

from core.crud import present, service
from core.crud.registry import get_spec
from core.rbac import Actor
from core.risk.dynamic import reason_text
from core.risk.schemes import active_scheme, rescore
from core.ui.context import lang, tr
from core.ui.crud_page import render_table_page
from core.ui.forms import submit
from models.enums import Action
from models.risk import ScoringScheme
from models.risk_register import RiskPoint


def point_extra(session: Session, actor: Actor, point: RiskPoint) -> None:
    """Why the level is raised, whether the scheme is outdated, and the JHA / SCL lines."""
    if point.current_reason:
        st.warning(
            tr("risk_scoring.current_reason", reason=reason_text(point.current_reason, lang()))
        )
    elif point.controls_failing:
        st.warning(tr("risk_scoring.controls_failing"))
    _scheme(session, actor, point)
    _analysis(session, actor, point)


def _scheme(session: Session, actor: Actor, point: RiskPoint) -> None:
    active = active_scheme(session, point.scoring)
    if active is None or point.scheme_id in (None, active.id):
        return
    old = session.get(ScoringScheme, point.scheme_id)
    st.info(tr("risk_scoring.scheme_outdated", old=old.code if old else "-", new=active.code))
    can = actor.can(get_spec("risk_point").module, Action.EDIT) and point.deleted_at is None
    pressed = can and st.button(tr("risk_scoring.rescore"), key=f"rescore_{point.id}")
    if pressed and submit(
        "rescore", lambda s: rescore(s, actor, point.id), tr("risk_scoring.rescored")
    ):
        st.rerun()


def _analysis(session: Session, actor: Actor, point: RiskPoint) -> None:
    spec = get_spec("risk_analysis_item")
    query = service.ListQuery(filters={"point_id": point.id}, sort="seq", page_size=200)
    rows = service.list_rows(session, spec, actor, query).rows
    with st.expander(tr("risk_scoring.analysis_title", count=len(rows)), expanded=bool(rows)):
        if not rows:
            st.caption(tr("risk_scoring.analysis_empty"))
            return
        shown = tuple(f for f in spec.fields if f.in_list and f.name != "point_id")
        table = present.table_rows(session, shown, rows, lang())
        frame = pd.DataFrame(table, columns=[f.name for f in shown])
        frame.columns = [f.label_in(lang()) for f in shown]
        st.dataframe(frame, hide_index=True, width="stretch", key=f"analysis_{point.id}")


render_table_page("risk_point", detail_extra=point_extra)
